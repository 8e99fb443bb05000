"""No document within the token limit costs much to validate: every fragment is measured
once, and budgets on fields and fragment spreads refuse, before graphql-core's rules run, what
those rules would compare pairwise. Speed itself is measured in tests/bench/bench_validation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from graphql import (
    ASTValidationRule,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    SourceLocation,
    parse,
    print_ast,
    specified_rules,
)

from gateway.graphql import limits
from gateway.graphql.schema import build_schema
from gateway.graphql.shape import Measures, Shape, Tally
from gateway.graphql.validation import DocumentLimits, validated
from gateway.settings import Settings
from tests.graphql.worst_cases import Case, doubling, nested_doubling, worst_cases
from tests.support.harness import Gateway, operation, running_gateway

DEFAULT_LIMITS = DocumentLimits.of(Settings())
SPREADS = "TOO_MANY_FRAGMENT_SPREADS"
# What each worst case is answered: no code for a document within every limit.
ANSWERS: dict[str, set[str]] = {
    "fragment-doubling-in-limits": set(),
    "sibling-fragments-in-limits": set(),
    "fragment-fan-out-in-limits": set(),
    "same-field-in-limits": set(),
    "subtrees-in-limits": set(),
    "fragment-doubling-21": set(),
    "fragment-doubling": {SPREADS},
    "fragment-doubling-at-root": {"TOO_MANY_ROOT_FIELDS", SPREADS},
    "fragment-doubling-aliased": {"TOO_MANY_ALIASES", SPREADS},
    "fragment-doubling-nested": {"QUERY_TOO_DEEP", SPREADS, "TOO_MANY_FIELDS"},
    "fragment-layers": {SPREADS},
    "fragment-fan-out": {SPREADS},
    "sibling-fragments": {SPREADS, "TOO_MANY_FIELDS"},
    "fragment-cycles": {SPREADS},
    "same-field": {"TOO_MANY_FIELDS"},
    "deep-nesting": {"QUERY_TOO_DEEP"},
    "aliases": {"TOO_MANY_ALIASES", "TOO_MANY_FIELDS"},
    "directives": {"TOO_MANY_DIRECTIVES"},
    "variables": {"TOO_MANY_DIRECTIVES"},
    "operations-in-limits": set(),
    "operations": {SPREADS},
}


def test_every_worst_case_has_its_answer() -> None:
    assert sorted(case.name for case in worst_cases()) == sorted(ANSWERS)


@pytest.mark.parametrize("case", worst_cases(), ids=lambda case: case.name)
async def test_worst_cases_get_their_codes_and_a_refusal_costs_no_call(
    gateway: Gateway, case: Case
) -> None:
    before = await gateway.calls()
    response = await gateway.http.post(
        "/graphql",
        json={"query": case.document, "variables": case.variables, "operationName": case.operation},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    expected = ANSWERS[case.name]
    if not expected:
        assert "errors" not in body, body["errors"]
        assert body["data"]["meetingLink"]
        return
    # The limits' errors alone: graphql-core's rules never ran on these documents.
    assert {error["extensions"]["code"] for error in body["errors"]} == expected
    assert body["data"] is None
    assert await gateway.calls() == before


def test_the_measures_count_every_path_exactly() -> None:
    # F1 holds one alias; every further fragment doubles it: 2^20 along 2^20 paths.
    document = parse(doubling(21, leaf="a: slug"))
    shape = Shape(document, Tally.of(document))
    (operation,) = shape.operations
    assert shape.operation(operation) == Measures(depth=1, aliases=2**20, fields=1)
    assert shape.fragment("F21") == Measures(depth=0, aliases=2**20, fields=2**20)
    at_root = parse(doubling(30, on="Query", leaf="__typename", query="{ ...F30 }"))
    shape = Shape(at_root, Tally.of(at_root))
    assert shape.operation(shape.operations[0]).fields == 2**29
    nested = parse(nested_doubling(12))  # each fragment one level deeper than the one before
    shape = Shape(nested, Tally.of(nested))
    assert shape.operation(shape.operations[0]).depth == 12


def test_the_limits_name_their_counts_as_before() -> None:
    aliased = DEFAULT_LIMITS.check(parse(doubling(21, leaf="a: slug")))
    assert [(e.message, e.extensions) for e in aliased] == [
        ("1048576 aliases found. Allowed: 15", {"code": "TOO_MANY_ALIASES"})
    ]
    at_root = DEFAULT_LIMITS.check(
        parse(doubling(20, on="Query", leaf="__typename", query="{ ...F20 }"))
    )
    assert [(e.message, e.extensions) for e in at_root] == [
        (
            "524288 root fields selected; at most 10 are allowed",
            {"code": "TOO_MANY_ROOT_FIELDS", "maximum": 10},
        )
    ]
    (deep,) = DEFAULT_LIMITS.check(parse(nested_doubling(12)))
    assert deep.message == "'anonymous' exceeds maximum operation depth of 10"
    assert deep.extensions == {"code": "QUERY_TOO_DEEP"}
    # Reported where strawberry's limiter reported first: the first selection 11 fields deep,
    # the spread of F2 in F3 (inside meetingLink, then x in each of F12 ... F3).
    (location,) = deep.locations or []
    text = nested_doubling(12)
    assert text.index("...F2", text.index("fragment F3 ")) == location.column - 1


class CountingShape(Shape):
    def __init__(self, *args: Any) -> None:
        self.walks: Counter[int] = Counter()
        super().__init__(*args)

    def measure(self, selection_set: SelectionSetNode) -> Measures:
        self.walks[id(selection_set)] += 1
        return super().measure(selection_set)


def test_each_fragment_is_walked_once_whatever_its_spreads() -> None:
    document = parse(doubling(21))
    shape = CountingShape(document, Tally.of(document))
    (operation,) = shape.operations
    shape.operation(operation)
    fragments = [shape.fragments[f"F{i}"].selection_set for i in range(1, 22)]
    assert [shape.walks[id(s)] for s in fragments] == [1] * 21
    # And nothing else but the operation's two selection sets.
    assert sum(shape.walks.values()) == 21 + 2


class CountingRequest(limits._Request):
    walks: Counter[int]

    def _level(
        self, parent: limits.Composite, selections: SelectionSetNode
    ) -> tuple[int, set[str]]:
        self.walks[id(selections)] += 1
        return super()._level(parent, selections)


def test_the_cost_walks_each_fragment_once_and_counts_it_once_per_selection_set() -> None:
    schema: GraphQLSchema = build_schema()._schema
    leaf = "bookingInfo { locale }"
    query = "{ meetingLinks(first: 99) { nodes { ...F20 ...F1 } } }"
    document = parse(doubling(20, leaf=leaf, query=query))
    operation = document.definitions[-1]
    assert isinstance(operation, OperationDefinitionNode)
    request = CountingRequest(schema, document, operation, {}, Settings())
    request.walks = Counter()
    # One page, then one booking-info read for each of 99 links: F1's fields merge however
    # many times they are spread.
    assert request.check() == []
    assert request._cost(schema.query_type, operation.selection_set) == 1 + 99  # type: ignore[arg-type]
    fragments = [
        d.selection_set for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    ]
    assert [request.walks[id(s)] for s in fragments] == [1] * 20


async def test_the_budgets_follow_their_settings() -> None:
    environ = {"GATEWAY_MAX_FRAGMENT_SPREADS": "1", "GATEWAY_MAX_FIELDS": "3"}
    async with running_gateway(environ) as gateway:
        before = await gateway.calls()
        body = await gateway.execute(
            'fragment A on MeetingLink { slug } { meetingLink(slug: "mel-nelson") { ...A ...A } }'
        )
        (error,) = body["errors"]
        assert error["message"] == "2 fragment spreads; at most 1 are allowed"
        assert error["extensions"] == {"code": SPREADS, "maximum": 1}
        body = await gateway.execute('{ meetingLink(slug: "mel-nelson") { slug name id } }')
        (error,) = body["errors"]
        assert error["message"] == "4 fields in the document; at most 3 are allowed"
        assert error["extensions"] == {"code": "TOO_MANY_FIELDS", "maximum": 3}
        assert await gateway.calls() == before
        within = '{ meetingLink(slug: "mel-nelson") { ...A } } fragment A on MeetingLink { slug }'
        assert await gateway.data(within) == {"meetingLink": {"slug": "mel-nelson"}}


def _counted_rules() -> tuple[tuple[type[ASTValidationRule], ...], list[str]]:
    """The standard rules and one that finds nothing and notes each document it meets; its
    own class per call, as the rules are part of what a validation is remembered under."""
    met: list[str] = []

    class Counted(ASTValidationRule):
        def enter_document(self, *_: Any) -> None:
            met.append("document")

    return (*specified_rules, Counted), met


def test_a_valid_document_laid_out_otherwise_is_not_validated_again() -> None:
    schema = build_schema()._schema
    rules, met = _counted_rules()
    shipped = operation("MeetingLinkAvailability")
    # What graphql-js prints (as the booking page's code generator does): the same document.
    printed = f"\n    {print_ast(parse(shipped))}\n    "
    assert printed.strip() != shipped.strip()
    for text in (shipped, printed, shipped):
        assert validated(schema, text, parse(text), rules, DEFAULT_LIMITS) == []
    assert met == ["document"]


def test_an_invalid_document_is_validated_in_each_layout_with_its_own_locations() -> None:
    schema = build_schema()._schema
    rules, met = _counted_rules()
    texts = ["{ meetingLink(slug: 1) { id } }", "{\n  meetingLink(slug: 1) {\n    id\n  }\n}"]
    found = [validated(schema, text, parse(text), rules, DEFAULT_LIMITS) for text in texts]
    assert met == ["document", "document"]
    assert [[error.locations for error in errors] for errors in found] == [
        [[SourceLocation(1, 21)]],
        [[SourceLocation(2, 21)]],
    ]
