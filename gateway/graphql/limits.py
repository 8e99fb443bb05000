"""Limits on what one GraphQL request may ask, checked before execution at no upstream cost.

Each limit is a ``GATEWAY_*`` setting and answers a GraphQL error with its own
``extensions.code``:

==========================  ==============================================================
TOO_MANY_TOKENS             the document's tokens (strawberry's ``MaxTokensLimiter``, while
                            parsing; graphql-core's own nesting bound reports QUERY_TOO_DEEP)
QUERY_TOO_DEEP              nested selections
TOO_MANY_ALIASES            aliased fields
TOO_MANY_ROOT_FIELDS        fields selected at an operation's root
TOO_MANY_DIRECTIVES         directive uses in the document
TOO_MANY_FRAGMENT_SPREADS   fragment spreads written in the document
TOO_MANY_FIELDS             fields written in the document
LIST_TOO_LARGE              ``first`` beyond its maximum (``meetingLinks``, ``availability``),
                            more than 10 ``slugs`` (``earliestSlot``)
STRING_TOO_LONG             a string argument or variable longer than the maximum
QUERY_TOO_COSTLY            the estimated upstream calls exceed the ceiling
==========================  ==============================================================

The six after the token count depend on the document alone: ``gateway.graphql.validation``
checks them before the standard rules and remembers the outcome per document. The last three
read argument values, which may come from variables, so they run per request
(``RequestLimits``), after the standard rules have passed: the document is then known to fit
the schema (no unknown fragment, no cycle).

The cost is counted in upstream calls a cold cache would make: ``meetingLinks(first: N)``
reads ceil(N/100) pages and runs its links' fields N times; ``meetingLink`` and ``node`` read
the link index once; ``bookingInfo`` is one read per link; ``availability`` is the booking
info plus one month page per month of the range (two for the default window);
``nextAvailableSlot`` looks up to six months ahead; ``earliestSlot`` reads the link index once
and looks like ``nextAvailableSlot`` on each of its slugs; ``bookMeeting`` makes up to four
calls and ``holdSlot`` three (link index, booking info, a fresh month page).
Anything else costs nothing. A fragment costs what its fields cost, once per selection set
it is spread in however many times and ways it is spread there (its fields merge into one);
each fragment's own cost is worked out once per request.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import orjson
from cachetools import LRUCache
from graphql import (
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
    VariableNode,
    get_named_type,
    value_from_ast_untyped,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import MaxTokensLimiter, SchemaExtension

from gateway.graphql.queries import DEFAULT_PAGE_SIZE
from gateway.graphql.scalars import parse_date_time
from gateway.graphql.shape import dependency_order
from gateway.meetings.cursors import UPSTREAM_PAGE_LIMIT
from gateway.meetings.service import (
    BOOKING_UPSTREAM_CALLS,
    MAX_EARLIEST_SLUGS,
    MAX_PAGES_FOR_NEXT_SLOT,
)
from gateway.settings import Settings

# The month pages an availability range without ``to`` is estimated to need.
DEFAULT_AVAILABILITY_MONTHS = 2
# The upstream calls a hold makes at most: the link list, its booking info, its fresh read.
HOLD_CALLS = 3


Extension = Callable[[], SchemaExtension]


class _Written(Visitor):
    """One pass over what a request runs: long string literals, and each fragment's spreads."""

    def __init__(self, maximum: int) -> None:
        super().__init__()
        self.maximum = maximum
        self.long: list[StringValueNode] = []
        self.spread_by: dict[str, list[str]] = {}
        self._inside: list[str] | None = None

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self._inside = self.spread_by.setdefault(node.name.value, [])

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        if self._inside is not None:
            self._inside.append(node.name.value)

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if len(node.value) > self.maximum:
            self.long.append(node)


Composite = GraphQLObjectType | GraphQLInterfaceType


class _Request:
    """One request's document, variables and settings: the per-request checks."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
        settings: Settings,
        written: _Written | None = None,
    ) -> None:
        """``written`` is what an earlier request of the same document found written in it."""
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
        if written is None:
            written = _Written(settings.max_string_length)
            visit(operation, written)
            for fragment in self.fragments.values():
                visit(fragment, written)
        self.written = written
        # Per fragment: the cost of its own fields, and every fragment its fields merge with
        # (itself included), worked out once, each after the fragments it spreads.
        self._own: dict[str, int] = {}
        self._merged: dict[str, frozenset[str]] = {}

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
            for name in dependency_order(self.written.spread_by):
                self._measure_fragment(name)
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
        long_literal = self.written.long
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

    def _slugs(self, field: FieldNode) -> int:
        slugs = self.argument(field, "slugs")
        count = len(slugs) if isinstance(slugs, list) else 1
        if count > MAX_EARLIEST_SLUGS:
            self.errors.append(
                GraphQLError(
                    f"slugs may hold at most {MAX_EARLIEST_SLUGS} links",
                    field,
                    extensions={
                        "code": "LIST_TOO_LARGE",
                        "argument": "slugs",
                        "maximum": MAX_EARLIEST_SLUGS,
                    },
                )
            )
        return min(count, MAX_EARLIEST_SLUGS)

    def _months(self, field: FieldNode) -> int:
        start, end = (_instant(self.argument(field, name)) for name in ("from", "to"))
        if start is None or end is None or end <= start:
            return DEFAULT_AVAILABILITY_MONTHS
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        # The service refuses longer ranges; the count only has to be an upper bound.
        return min(months, self.settings.max_availability_days // 28 + 2)

    def _measure_fragment(self, name: str) -> None:
        fragment = self.fragments.get(name)
        if fragment is None:
            return
        narrower = self.schema.get_type(fragment.type_condition.name.value)
        if not isinstance(narrower, Composite):
            return  # a fragment on a union selects nothing that costs
        own, spread = self._level(narrower, fragment.selection_set)
        self._own[name] = own
        self._merged[name] = self._merge(spread) | {name}

    def _merge(self, names: set[str]) -> frozenset[str]:
        """The fragments that ``names`` bring into a selection set, each once."""
        return frozenset().union(*(self._merged.get(name, ()) for name in names))

    def _cost(self, parent: Composite, selections: SelectionSetNode | None) -> int:
        if selections is None:
            return 0
        own, spread = self._level(parent, selections)
        return own + sum(self._own[name] for name in self._merge(spread))

    def _level(self, parent: Composite, selections: SelectionSetNode) -> tuple[int, set[str]]:
        """The cost of the fields of ``selections`` (inline fragments in), and the fragments
        spread there."""
        total = 0
        spread: set[str] = set()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(parent, selection)
            elif isinstance(selection, FragmentSpreadNode):
                spread.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                # Fragments on a narrower type (``node { ... on MeetingLink { ... } }``).
                condition = selection.type_condition
                narrower = self.schema.get_type(condition.name.value) if condition else parent
                if isinstance(narrower, Composite):
                    own, inner = self._level(narrower, selection.selection_set)
                    total += own
                    spread |= inner
        return total, spread

    def _field_cost(self, parent: Composite, field: FieldNode) -> int:
        name = field.name.value
        definition = parent.fields.get(name)
        if definition is None:
            return 0  # __typename and introspection
        child = get_named_type(definition.type)
        inner = self._cost(child, field.selection_set) if isinstance(child, Composite) else 0
        match parent.name, name:
            case "Query", "meetingLinks":
                first = self._first(field, DEFAULT_PAGE_SIZE, self.settings.max_page_size) or 0
                return max(1, math.ceil(first / UPSTREAM_PAGE_LIMIT)) + first * inner
            case "Query", "meetingLink" | "node":
                return 1 + inner
            case "MeetingLink", "bookingInfo":
                return 1 + inner
            case "MeetingLink", "availability":
                self._first(field, None, self.settings.max_slots)
                return 1 + self._months(field) + inner
            case "MeetingLink", "nextAvailableSlot":
                return MAX_PAGES_FOR_NEXT_SLOT + inner
            case "Query", "earliestSlot":
                return 1 + self._slugs(field) * MAX_PAGES_FOR_NEXT_SLOT + inner
            case "Mutation", "bookMeeting":
                return BOOKING_UPSTREAM_CALLS + inner
            case "Mutation", "holdSlot":
                return HOLD_CALLS + inner
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


# Documents (and their variables) whose analysis is remembered: clients send a few of each.
REMEMBERED = 512


class Analyses:
    """What the limits found in recent documents, shared by every request of a schema: the
    literals and spreads written in a document (its text and operation name are the key),
    and which requests passed (with their variables; refusals are worked out again)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Keyed by digests: a document may be as long as a body, and variables too.
        self._written: LRUCache[bytes, _Written] = LRUCache(REMEMBERED)
        self._passed: LRUCache[bytes, bool] = LRUCache(REMEMBERED)

    def check(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        operation_name: str | None,
        variables: Mapping[str, Any],
    ) -> list[GraphQLError]:
        key = _digest(query.encode(), (operation_name or "").encode())
        try:
            given = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # not JSON (no HTTP request sends such): checked, not remembered
            passed = None
        else:
            passed = _digest(key, given)
        if passed is not None and passed in self._passed:
            return []
        written = self._written.get(key)
        request = _Request(schema, document, operation, variables, self.settings, written)
        errors = request.check()
        self._written[key] = request.written
        if passed is not None and not errors:
            self._passed[passed] = True
        return errors


def _digest(*parts: bytes) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


class RequestLimits(SchemaExtension):
    """List sizes, string lengths and cost, read with this request's variables."""

    def __init__(self, analyses: Analyses) -> None:
        super().__init__()
        self.analyses = analyses

    def on_validate(self) -> Iterator[None]:
        # Before strawberry looks at the errors, which it does inside this hook's span; listed
        # after ``Validation``, whose (cached) result is then already in.
        context = self.execution_context
        document = context.graphql_document
        operation = None if document is None else _operation(document, context.operation_name)
        if (
            document is not None
            and operation is not None
            and context.query is not None
            and not context.pre_execution_errors
        ):
            variables = context.variables if isinstance(context.variables, dict) else {}
            context.pre_execution_errors = self.analyses.check(
                context.schema._schema,
                context.query,
                document,
                operation,
                context.operation_name,
                variables,
            )
        yield


def token_limit(settings: Settings) -> Extension:
    """The token count, a parse option; goes before the parser cache."""
    return lambda: MaxTokensLimiter(max_token_count=settings.max_tokens)


def request_limits(settings: Settings) -> Extension:
    """List sizes, string lengths and cost; goes after ``Validation``."""
    analyses = Analyses(settings)
    return lambda: RequestLimits(analyses)
