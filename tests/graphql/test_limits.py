"""Every limit of graphql/limits.py answers its own code before any upstream call."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.harness import Gateway, operation, running_gateway

AVAILABILITY = operation("MeetingLinkAvailability")
BOOKING_INFO = operation("MeetingLinkBookingInfo")


def codes(body: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in body.get("errors", [])}


NESTED = "{" + "meetingLinks { edges { node { bookingInfo { legalConsent { checkboxes { " * 2
CASES: list[tuple[str, dict[str, Any], str]] = [
    # 16 aliases (at most 15), each on a cheap root field within the root-field limit.
    (
        "{ a: __typename " + " ".join(f"x{i}: __typename" for i in range(15)) + " }",
        {},
        "TOO_MANY_ALIASES",
    ),
    ("{ __typename " + "__typename " * 10 + "}", {}, "TOO_MANY_ROOT_FIELDS"),
    (
        "{ __typename" + " @include(if: true)" * 11 + " }",
        {},
        "TOO_MANY_DIRECTIVES",
    ),
    ("{ " + "__typename " * 2000 + "}", {}, "TOO_MANY_TOKENS"),
    (
        '{ meetingLink(slug: "mel-nelson") { ... on MeetingLink { bookingInfo {'
        " legalConsent { checkboxes { label } } } } } meetingLinks { edges { node {"
        " bookingInfo { formFields { options { value } } } } }"
        " nodes { bookingInfo { members { userId } } } } }",
        {},
        "",  # within every limit: the control case
    ),
    ("{" + "meetingLinks { nodes { " * 11 + "id" + " }" * 22 + "}", {}, "QUERY_TOO_DEEP"),
    ("{ meetingLinks(first: 101) { totalCount } }", {}, "LIST_TOO_LARGE"),
    (
        "query($first: Int) { meetingLinks(first: $first) { totalCount } }",
        {"first": 1000},
        "LIST_TOO_LARGE",
    ),
    (
        AVAILABILITY,
        {"slug": "mel-nelson", "timeZone": "UTC", "first": 5001},
        "LIST_TOO_LARGE",
    ),
    (
        "{ meetingLinks(first: 100) { nodes { bookingInfo { locale } } } }",
        {},
        "QUERY_TOO_COSTLY",
    ),
    (
        '{ meetingLinks(first: 40) { nodes { availability(timeZone: "UTC") { hasMore } } } }',
        {},
        "QUERY_TOO_COSTLY",
    ),
    ('{ meetingLink(slug: "' + "a" * 2001 + '") { id } }', {}, "STRING_TOO_LONG"),
    (BOOKING_INFO, {"slug": "a" * 2001, "timeZone": "UTC"}, "STRING_TOO_LONG"),
]


@pytest.mark.parametrize(("document", "variables", "code"), CASES)
async def test_each_limit_refuses_before_any_upstream_call(
    gateway: Gateway, document: str, variables: dict[str, Any], code: str
) -> None:
    before = await gateway.calls()
    body = await gateway.execute(document, variables)
    if not code:
        assert "errors" not in body, body["errors"]
        return
    assert code in codes(body), body
    assert body["data"] is None
    assert await gateway.calls() == before


async def test_the_cost_names_the_estimate_and_the_ceiling(gateway: Gateway) -> None:
    body = await gateway.execute(
        "{ meetingLinks(first: 100) { nodes { bookingInfo { locale } } } }"
    )
    (error,) = body["errors"]
    # One page of 100 links, then one booking-info read per link.
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 101, "maximumCost": 100}


async def test_the_cost_counts_months_of_the_asked_range(gateway: Gateway) -> None:
    document = (
        "query($from: DateTime, $to: DateTime) { meetingLinks(first: 10) { nodes {"
        ' availability(timeZone: "UTC", from: $from, to: $to) { hasMore } } } }'
    )
    # Ten links, each: booking info + one month page (March).
    assert "errors" not in await gateway.execute(
        document, {"from": "2026-03-03T00:00:00Z", "to": "2026-03-10T00:00:00Z"}
    )
    # Ten links, each: booking info + three month pages: 1 + 10 * 4 = 41.
    async with running_gateway({"GATEWAY_MAX_QUERY_COST": "40"}) as strict:
        body = await strict.execute(
            document, {"from": "2026-03-03T00:00:00Z", "to": "2026-05-10T00:00:00Z"}
        )
        assert body["errors"][0]["extensions"]["cost"] == 41


async def test_the_persisted_operations_fit_the_default_limits(gateway: Gateway) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        (AVAILABILITY, {"slug": "mel-nelson", "timeZone": "Europe/Berlin", "first": 10}),
        (BOOKING_INFO, {"slug": "mel-nelson", "timeZone": "UTC"}),
        (operation("ListMeetingLinks"), {"first": 100}),
    ]
    for document, variables in cases:
        assert "errors" not in await gateway.execute(document, variables)


async def test_limits_follow_their_settings() -> None:
    async with running_gateway(
        {"GATEWAY_MAX_QUERY_DEPTH": "2", "GATEWAY_MAX_PAGE_SIZE": "5"}
    ) as gateway:
        body = await gateway.execute("{ meetingLinks(first: 6) { nodes { id } } }")
        assert codes(body) == {"LIST_TOO_LARGE"}
        body = await gateway.execute("{ meetingLinks(first: 5) { edges { node { id } } } }")
        assert codes(body) == {"QUERY_TOO_DEEP"}


async def test_the_cost_counts_earliest_slot_per_link() -> None:
    slugs = [f"link-{i}" for i in range(10)]
    # The link index once, then up to six month pages per link: 1 + 10 * 6 = 61.
    async with running_gateway({"GATEWAY_MAX_QUERY_COST": "60"}) as strict:
        before = await strict.calls()
        body = await strict.execute(operation("EarliestSlot"), {"slugs": slugs, "timeZone": "UTC"})
        assert body["errors"][0]["extensions"]["cost"] == 61
        assert await strict.calls() == before


def test_the_analysis_is_remembered_per_document_and_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphql import OperationDefinitionNode, parse

    from gateway.graphql import limits
    from gateway.graphql.schema import build_schema
    from gateway.settings import Settings

    checks: list[dict[str, Any]] = []
    original = limits._Request.check

    def counted(self: limits._Request) -> list[Any]:
        checks.append(self.variables)
        return original(self)

    monkeypatch.setattr(limits._Request, "check", counted)
    schema = build_schema()._schema
    analyses = limits.Analyses(Settings())
    query = "query L($first: Int) { meetingLinks(first: $first) { totalCount } }"

    def check(variables: dict[str, Any]) -> set[str]:
        document = parse(query)
        (operation,) = document.definitions
        assert isinstance(operation, OperationDefinitionNode)
        errors = analyses.check(schema, query, document, operation, "L", variables)
        return {error.extensions["code"] for error in errors if error.extensions}

    assert check({"first": 5}) == set()
    assert check({"first": 5}) == set()  # remembered: not analysed again
    assert check({"first": 5000}) == {"LIST_TOO_LARGE"}
    assert check({"first": 5000}) == {"LIST_TOO_LARGE"}  # a refusal is worked out each time
    assert checks == [{"first": 5}, {"first": 5000}, {"first": 5000}]
