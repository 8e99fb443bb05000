"""Limits on what one GraphQL request may ask, checked before execution at no upstream cost.

Each limit is a ``GATEWAY_*`` setting and answers a GraphQL error with its own
``extensions.code``:

==========================  ==============================================================
TOO_MANY_TOKENS             the document's tokens (strawberry's ``MaxTokensLimiter``, while
                            parsing; graphql-core's own nesting bound reports QUERY_TOO_DEEP)
QUERY_TOO_DEEP              nested selections (strawberry's ``QueryDepthLimiter``)
TOO_MANY_ALIASES            aliased fields (strawberry's ``MaxAliasesLimiter``)
TOO_MANY_ROOT_FIELDS        fields selected at an operation's root
TOO_MANY_DIRECTIVES         directive uses in the document
LIST_TOO_LARGE              ``first`` beyond its maximum (``meetingLinks``, ``availability``)
STRING_TOO_LONG             a string argument or variable longer than the maximum
QUERY_TOO_COSTLY            the estimated upstream calls exceed the ceiling
==========================  ==============================================================

The first five depend on the document alone, so they are plain validation rules that
strawberry's ``ValidationCache`` remembers per document. The last three read argument values,
which may come from variables, so they run per request (``RequestLimits``), after the
standard rules have passed: the document is then known to fit the schema.

The cost is counted in upstream calls a cold cache would make: ``meetingLinks(first: N)``
reads ceil(N/100) pages and runs its links' fields N times; ``meetingLink`` and ``node`` read
the link index once; ``bookingInfo`` is one read per link; ``availability`` is the booking
info plus one month page per month of the range (two for the default window);
``nextAvailableSlot`` looks up to six months ahead; ``bookMeeting`` makes up to four calls.
Anything else costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
    validate,
    value_from_ast_untyped,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from gateway.graphql.scalars import parse_date_time
from gateway.settings import Settings

UPSTREAM_PAGE = 100
DEFAULT_LINKS_PAGE = 20
DEFAULT_AVAILABILITY_MONTHS = 2
NEXT_SLOT_MONTHS = 6
BOOKING_CALLS = 4

Extension = Callable[[], SchemaExtension]


def coded(error: GraphQLError, code: str, **extensions: object) -> GraphQLError:
    return GraphQLError(
        error.message,
        error.nodes,
        extensions={**(error.extensions or {}), "code": code, **extensions},
    )


def with_code(rule: type[ASTValidationRule], code: str) -> type[ASTValidationRule]:
    """``rule``'s errors carrying ``code``. For strawberry's limiters, which do their whole
    check in ``__init__`` and report straight to the context."""

    class Coded(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            report = context.on_error
            context.on_error = lambda error: report(coded(error, code))  # type: ignore[method-assign]
            try:
                rule(context)
            except KeyError:
                pass  # an unknown fragment, which the standard rules report themselves
            finally:
                context.on_error = report  # type: ignore[method-assign]

    Coded.__name__ = f"Coded{rule.__name__}"
    return Coded


def root_fields_rule(maximum: int) -> type[ValidationRule]:
    class RootFieldsLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                d.name.value: d
                for d in self.context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            count = sum(1 for _ in _fields(node.selection_set, fragments, frozenset()))
            if count > maximum:
                self.report_error(
                    GraphQLError(
                        f"{count} root fields selected; at most {maximum} are allowed",
                        node,
                        extensions={"code": "TOO_MANY_ROOT_FIELDS", "maximum": maximum},
                    )
                )

    return RootFieldsLimit


def directives_rule(maximum: int) -> type[ValidationRule]:
    class DirectivesLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            uses: list[DirectiveNode] = []

            class Count(Visitor):
                def enter_directive(self, directive: DirectiveNode, *_: Any) -> None:
                    uses.append(directive)

            visit(node, Count())
            if len(uses) > maximum:
                self.report_error(
                    GraphQLError(
                        f"{len(uses)} directives used; at most {maximum} are allowed",
                        uses[maximum],
                        extensions={"code": "TOO_MANY_DIRECTIVES", "maximum": maximum},
                    )
                )

    return DirectivesLimit


def _fields(
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> Iterator[FieldNode]:
    """The fields of a selection set, fragments spread in (each fragment once per path)."""
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _fields(fragment.selection_set, fragments, seen | {name})


class _Request:
    """One request's document, variables and settings: the per-request checks."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        settings: Settings,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.variables = dict(variables)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.operation = operation
        self.errors: list[GraphQLError] = []

    def argument(self, field: FieldNode, name: str) -> Any:
        for argument in field.arguments or ():
            if argument.name.value == name:
                if isinstance(argument.value, VariableNode):
                    return self.variables.get(argument.value.name.value)
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def check(self) -> list[GraphQLError]:
        self._check_strings()
        root = self.schema.get_root_type(self.operation.operation)
        if root is not None and not self.errors:
            cost = self._cost(root, self.operation.selection_set)
            ceiling = self.settings.max_query_cost
            if cost > ceiling:
                self.errors.append(
                    GraphQLError(
                        f"the query would cost about {cost} upstream calls; at most {ceiling} "
                        "are allowed (ask for fewer items, or split the query)",
                        self.operation,
                        extensions={
                            "code": "QUERY_TOO_COSTLY",
                            "cost": cost,
                            "maximumCost": ceiling,
                        },
                    )
                )
        return self.errors

    # -- strings ---------------------------------------------------------------------------------

    def _check_strings(self) -> None:
        maximum = self.settings.max_string_length
        long_literal: list[StringValueNode] = []

        class Strings(Visitor):
            def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
                if len(node.value) > maximum:
                    long_literal.append(node)

        visit(self.operation, Strings())
        for fragment in self.fragments.values():
            visit(fragment, Strings())
        too_long = bool(long_literal) or any(
            len(text) > maximum for text in _strings(self.variables)
        )
        if too_long:
            self.errors.append(
                GraphQLError(
                    f"a string argument is longer than {maximum} characters",
                    long_literal[:1] or None,
                    extensions={"code": "STRING_TOO_LONG", "maximum": maximum},
                )
            )

    # -- lists and cost ---------------------------------------------------------------------------

    def _first(self, field: FieldNode, default: int | None, maximum: int) -> int | None:
        value = self.argument(field, "first")
        if not isinstance(value, int) or isinstance(value, bool):
            return default
        if value > maximum:
            self.errors.append(
                GraphQLError(
                    f"first may be at most {maximum}",
                    field,
                    extensions={"code": "LIST_TOO_LARGE", "argument": "first", "maximum": maximum},
                )
            )
        return max(0, min(value, maximum))

    def _months(self, field: FieldNode) -> int:
        start, end = (_instant(self.argument(field, name)) for name in ("from", "to"))
        if start is None or end is None or end <= start:
            return DEFAULT_AVAILABILITY_MONTHS
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        # The service refuses longer ranges; the count only has to be an upper bound.
        return min(months, self.settings.max_availability_days // 28 + 2)

    def _cost(
        self,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        selections: SelectionSetNode | None,
        seen: frozenset[str] = frozenset(),
    ) -> int:
        total = 0
        for selection in selections.selections if selections else ():
            if isinstance(selection, FieldNode):
                total += self._field_cost(parent, selection)
                continue
            if isinstance(selection, InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                seen = seen | {name}
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                continue
            # Fragments on a narrower type (``node { ... on MeetingLink { ... } }``).
            narrower = self.schema.get_type(condition.name.value) if condition else parent
            if isinstance(narrower, GraphQLObjectType | GraphQLInterfaceType):
                total += self._cost(narrower, inner, seen)
        return total

    def _field_cost(
        self, parent: GraphQLObjectType | GraphQLInterfaceType, field: FieldNode
    ) -> int:
        name = field.name.value
        definition = parent.fields.get(name)
        if definition is None:
            return 0  # __typename and introspection
        child = get_named_type(definition.type)
        inner = (
            self._cost(child, field.selection_set)
            if isinstance(child, GraphQLObjectType | GraphQLInterfaceType)
            else 0
        )
        match parent.name, name:
            case "Query", "meetingLinks":
                first = self._first(field, DEFAULT_LINKS_PAGE, self.settings.max_page_size) or 0
                return max(1, math.ceil(first / UPSTREAM_PAGE)) + first * inner
            case "Query", "meetingLink" | "node":
                return 1 + inner
            case "MeetingLink", "bookingInfo":
                return 1 + inner
            case "MeetingLink", "availability":
                self._first(field, None, self.settings.max_slots)
                return 1 + self._months(field) + inner
            case "MeetingLink", "nextAvailableSlot":
                return NEXT_SLOT_MONTHS + inner
            case "Mutation", "bookMeeting":
                return BOOKING_CALLS + inner
        return inner


def _instant(value: object) -> datetime | None:
    try:
        return parse_date_time(value)
    except ValueError:
        return None


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, walked without recursion (variables can nest deeply)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


class RequestLimits(SchemaExtension):
    """List sizes, string lengths and cost, read with this request's variables."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def on_validate(self) -> Iterator[None]:
        # Before strawberry looks at the errors, which it does inside this hook's span; listed
        # after ValidationCache, whose (cached) result is then already in.
        context = self.execution_context
        document = context.graphql_document
        schema = context.schema._schema
        if document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = validate_document(
                schema, document, context.validation_rules
            )
        operation = None if document is None else _operation(document, context.operation_name)
        if document is not None and operation is not None and not context.pre_execution_errors:
            variables = context.variables if isinstance(context.variables, dict) else {}
            request = _Request(schema, document, operation, variables, self.settings)

            class Checked(ValidationRule):
                def enter_document(self, *_: Any) -> None:
                    for error in request.check():
                        self.report_error(error)

            # A validation rule of its own, so errors come out exactly as validation's do.
            context.pre_execution_errors = validate(schema, document, [Checked])
        yield


def limit_extensions(settings: Settings) -> list[Extension]:
    """The limits as extension factories: fresh instances for every request."""
    static: list[type[ASTValidationRule]] = [
        with_code(
            QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules[0],
            "QUERY_TOO_DEEP",
        ),
        with_code(
            MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules[0],
            "TOO_MANY_ALIASES",
        ),
        root_fields_rule(settings.max_root_fields),
        directives_rule(settings.max_directives),
    ]
    # The rule classes are made once, so ValidationCache's key (the rules) stays the same.
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: AddValidationRules(static),
    ]


def request_limits(settings: Settings) -> Extension:
    """List sizes, string lengths and cost; goes after ``ValidationCache``."""
    return lambda: RequestLimits(settings)
