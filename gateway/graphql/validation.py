"""Validation in two stages, remembered per document.

First the gateway's own limits on the document alone (``DocumentLimits``: depth, aliases,
root fields, directives, fragment spreads, fields), measured in linear time
(``gateway.graphql.shape``). Only a document within them meets graphql-core's standard rules
(and strawberry's added ones): those are linear in what they walk too, except that
``OverlappingFieldsCanBeMerged`` compares fields and fragments pairwise, which the budgets
on fields and fragment spreads keep small. A document over a limit is answered with the
limit's errors alone.

The result is kept per (schema, document, rules, limits) in an LRU of 256 entries, as
strawberry's ``ValidationCache`` would keep it (the parser cache hands the same document
back for the same text), and a valid document's printed form beside it, so that the same
document in another layout is not validated again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import strawberry
from cachetools import LRUCache
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    parse,
    print_ast,
    specified_rules,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.graphql.dispatch import dispatched
from gateway.graphql.shape import Shape, Tally
from gateway.settings import Settings

CACHED_DOCUMENTS = 256


def _operation_name(operation: OperationDefinitionNode) -> str:
    return operation.name.value if operation.name else "anonymous"


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The limits that depend on the document alone."""

    max_depth: int
    max_aliases: int
    max_root_fields: int
    max_directives: int
    max_fragment_spreads: int
    max_fields: int

    @classmethod
    def of(cls, settings: Settings) -> DocumentLimits:
        return cls(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_root_fields=settings.max_root_fields,
            max_directives=settings.max_directives,
            max_fragment_spreads=settings.max_fragment_spreads,
            max_fields=settings.max_fields,
        )

    def check(self, document: DocumentNode) -> list[GraphQLError]:
        tally = Tally.of(document)
        shape = Shape(document, tally)
        return [
            *self._depth(shape),
            *self._aliases(shape),
            *self._root_fields(shape),
            *self._written(tally),
        ]

    def _depth(self, shape: Shape) -> Iterator[GraphQLError]:
        for operation in shape.operations:
            if shape.operation(operation).depth > self.max_depth:
                node = shape.deepest(operation, self.max_depth + 1) or operation
                yield GraphQLError(
                    f"'{_operation_name(operation)}' exceeds maximum operation depth of "
                    f"{self.max_depth}",
                    node,
                    extensions={"code": "QUERY_TOO_DEEP"},
                )

    def _aliases(self, shape: Shape) -> Iterator[GraphQLError]:
        total = sum(shape.operation(operation).aliases for operation in shape.operations)
        if total > self.max_aliases:
            yield GraphQLError(
                f"{total} aliases found. Allowed: {self.max_aliases}",
                extensions={"code": "TOO_MANY_ALIASES"},
            )

    def _root_fields(self, shape: Shape) -> Iterator[GraphQLError]:
        maximum = self.max_root_fields
        for operation in shape.operations:
            count = shape.operation(operation).fields
            if count > maximum:
                yield GraphQLError(
                    f"{count} root fields selected; at most {maximum} are allowed",
                    operation,
                    extensions={"code": "TOO_MANY_ROOT_FIELDS", "maximum": maximum},
                )

    def _written(self, tally: Tally) -> Iterator[GraphQLError]:
        if len(tally.directives) > self.max_directives:
            yield GraphQLError(
                f"{len(tally.directives)} directives used; at most {self.max_directives} "
                "are allowed",
                tally.directives[self.max_directives],
                extensions={"code": "TOO_MANY_DIRECTIVES", "maximum": self.max_directives},
            )
        if len(tally.spreads) > self.max_fragment_spreads:
            yield GraphQLError(
                f"{len(tally.spreads)} fragment spreads; at most {self.max_fragment_spreads} "
                "are allowed",
                tally.spreads[self.max_fragment_spreads],
                extensions={
                    "code": "TOO_MANY_FRAGMENT_SPREADS",
                    "maximum": self.max_fragment_spreads,
                },
            )
        if len(tally.fields) > self.max_fields:
            yield GraphQLError(
                f"{len(tally.fields)} fields in the document; at most {self.max_fields} are "
                "allowed",
                tally.fields[self.max_fields],
                extensions={"code": "TOO_MANY_FIELDS", "maximum": self.max_fields},
            )


Rules = tuple[type[ASTValidationRule], ...]
_VALIDATED: LRUCache[tuple[GraphQLSchema, str, Rules, DocumentLimits], list[GraphQLError]] = (
    LRUCache(CACHED_DOCUMENTS)
)
# The printed forms of documents found valid: another text of the same document (laid out
# otherwise, as each client's code generator prints it) is valid too. Errors are not shared:
# they carry the locations of the text they were found in.
_VALID_FORMS: LRUCache[tuple[GraphQLSchema, str, Rules, DocumentLimits], bool] = LRUCache(
    CACHED_DOCUMENTS
)


def validated(
    schema: GraphQLSchema, query: str, document: DocumentNode, rules: Rules, limits: DocumentLimits
) -> list[GraphQLError]:
    """The errors of ``document``, the parse of ``query``: its limits' if any, else the standard
    rules'. Remembered by the text (one text parses to one document), since hashing a document
    walks its whole tree: 10 to 15 µs for a frontend's query, on every request. A text seen
    first is printed (a tenth of what validating it costs) and, when a document printed alike
    was found valid, not validated again: the shipped operations, validated at start, are so
    for whichever layout a client sends them in."""
    key = (schema, query, rules, limits)
    found = _VALIDATED.get(key)
    if found is None:
        found = _VALIDATED[key] = _first_validation(schema, document, rules, limits)
    return found


def _first_validation(
    schema: GraphQLSchema, document: DocumentNode, rules: Rules, limits: DocumentLimits
) -> list[GraphQLError]:
    form = (schema, print_ast(document), rules, limits)
    if form in _VALID_FORMS:
        return []
    errors = errors_of(schema, document, rules, limits)
    if not errors:
        _VALID_FORMS[form] = True
    return errors


def errors_of(
    schema: GraphQLSchema, document: DocumentNode, rules: Rules, limits: DocumentLimits
) -> list[GraphQLError]:
    """The document's errors: its limits' if any, else the standard rules'."""
    return limits.check(document) or validate_document(schema, document, _dispatched(rules))


@cache
def _dispatched(rules: Rules) -> Rules:
    return tuple(dispatched(rule) for rule in rules)


class Validation(SchemaExtension):
    def __init__(self, limits: DocumentLimits) -> None:
        super().__init__()
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document, query = context.graphql_document, context.query
        if document is not None and context.pre_execution_errors is None:
            schema, rules = context.schema._schema, context.validation_rules
            context.pre_execution_errors = (
                validated(schema, query, document, rules, self.limits)
                if query is not None
                else errors_of(schema, document, rules, self.limits)
            )
        yield


def validation(settings: Settings) -> Callable[[], SchemaExtension]:
    """In place of strawberry's ``ValidationCache``."""
    limits = DocumentLimits.of(settings)
    return lambda: Validation(limits)


class DocumentCheck:
    """Whether a document parses and validates as a request's document would, with the same
    token limit, rules and limits (and the same remembered outcomes)."""

    def __init__(self, schema: strawberry.Schema, settings: Settings) -> None:
        self._schema = schema._schema
        self._max_tokens = settings.max_tokens
        self._limits = DocumentLimits.of(settings)
        # strawberry's rules, then DisableIntrospection's, as a request gets them.
        closed = () if settings.introspection_enabled else (NoSchemaIntrospectionCustomRule,)
        self._rules: tuple[type[ASTValidationRule], ...] = (*specified_rules, *closed)

    def accepts(self, text: str) -> bool:
        try:
            document = parse(text, max_tokens=self._max_tokens)
        except GraphQLError:
            return False
        return not validated(self._schema, text, document, self._rules, self._limits)
