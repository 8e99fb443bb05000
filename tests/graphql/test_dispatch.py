"""The rules with their handlers found once per class find what graphql-core's own rules find,
on every shipped operation and on documents that break each kind of rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    ASTValidationRule,
    FieldsOnCorrectTypeRule,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    TypeInfo,
    ValidationContext,
    parse,
    specified_rules,
    validate,
)
from graphql.language.visitor import EnterLeaveVisitor

from gateway.graphql.dispatch import dispatched
from gateway.graphql.schema import build_schema
from gateway.settings import Settings

SCHEMA = build_schema(settings=Settings())._schema
RULES: tuple[type[ASTValidationRule], ...] = (*specified_rules, NoSchemaIntrospectionCustomRule)
OPERATIONS = sorted((Path(__file__).parents[2] / "schema" / "operations").glob("*.graphql"))

BROKEN = {
    "unknown field": "{ meetingLinks { nope } }",
    "unknown argument": "{ meetingLinks(nope: 1) { totalCount } }",
    "wrong argument type": '{ meetingLinks(first: "x") { totalCount } }',
    "unused variable": "query Q($a: Int) { meetingLinks { totalCount } }",
    "undefined variable": "{ meetingLinks(first: $a) { totalCount } }",
    "fragment cycle": ("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
    "unused fragment": "{ __typename } fragment A on Query { __typename }",
    "fields that conflict": "{ a: meetingLinks { totalCount } a: __typename }",
    "leaf with a selection": "{ __typename { x } }",
    "object without one": "{ meetingLinks }",
    "introspection": "{ __schema { types { name } } }",
    "duplicate operation": "query A { __typename } query A { __typename }",
    "directive unknown": "{ __typename @nope }",
}


def findings(errors: list[GraphQLError]) -> list[tuple[str, object]]:
    return [(error.message, error.locations) for error in errors]


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda path: path.stem)
def test_shipped_operations_pass_both(path: Path) -> None:
    document = parse(path.read_text())
    assert validate(SCHEMA, document, RULES) == []
    assert validate(SCHEMA, document, [dispatched(rule) for rule in RULES]) == []


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_broken_documents_get_the_same_errors(text: str) -> None:
    document = parse(text)
    expected = findings(validate(SCHEMA, document, RULES))
    assert expected, "each document breaks at least one rule"
    # Twice: the second validation runs on the handlers the first one found.
    for _ in range(2):
        assert findings(validate(SCHEMA, document, [dispatched(r) for r in RULES])) == expected


def test_one_class_per_rule_and_its_handlers_bound_to_each_instance() -> None:
    rule = FieldsOnCorrectTypeRule
    assert dispatched(rule) is dispatched(rule)
    assert issubclass(dispatched(rule), rule)
    first, second = (_instance(rule).get_enter_leave_for_kind("field") for _ in range(2))
    assert isinstance(first, EnterLeaveVisitor)
    assert first.enter is not None
    assert second.enter is not None
    assert first.enter.__func__ is rule.enter_field  # type: ignore[attr-defined]
    assert first.enter.__self__ is not second.enter.__self__  # type: ignore[attr-defined]
    assert first.leave is None


def _instance(rule: type[ASTValidationRule]) -> ASTValidationRule:
    context = ValidationContext(SCHEMA, parse("{ __typename }"), TypeInfo(SCHEMA), print)
    return dispatched(rule)(context)
