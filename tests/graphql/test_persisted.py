"""Automatic persisted queries, the allow-list mode, and the packaged operations."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from gateway.graphql.persisted import PACKAGED_OPERATIONS
from tests.support.apollo_shape import apollo_shaped, reprinted
from tests.support.harness import OPERATIONS, Gateway, operation, running_gateway
from tests.support.query_string import query_params
from tests.support.redis_server import RedisServer

LINKS = "query Links { meetingLinks(first: 2) { totalCount nodes { slug } } }"
INFO = operation("MeetingLinkBookingInfo")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def post(gateway: Gateway, payload: dict[str, Any]) -> dict[str, Any]:
    response = await gateway.http.post("/graphql", json=payload)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def persisted(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def test_the_schema_operations_are_the_packaged_ones() -> None:
    # One copy: schema/operations links to the directory the package ships.
    assert Path(OPERATIONS).resolve() == PACKAGED_OPERATIONS.resolve()
    assert len(list(PACKAGED_OPERATIONS.glob("*.graphql"))) == 10


async def test_apq_round_trip(gateway: Gateway) -> None:
    digest = sha(LINKS)
    body = await post(gateway, {"extensions": persisted(digest)})
    assert code(body) == "PERSISTED_QUERY_NOT_FOUND"
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = await post(gateway, {"query": LINKS, "extensions": persisted(digest)})
    assert registered["data"]["meetingLinks"]["totalCount"] > 0
    calls = await gateway.calls()
    # The hash alone now runs the document, and from the response cache: no upstream call.
    again = await post(gateway, {"extensions": persisted(digest)})
    assert again == registered
    assert await gateway.calls() == calls


async def test_apq_refuses_a_hash_that_is_not_the_documents(gateway: Gateway) -> None:
    for digest in (sha(LINKS + " "), "not-a-hash", ""):
        body = await post(gateway, {"query": LINKS, "extensions": persisted(digest)})
        assert code(body) == "PERSISTED_QUERY_HASH_MISMATCH"
    # Nothing was stored under the wrong hash.
    body = await post(gateway, {"extensions": persisted(sha(LINKS + " "))})
    assert code(body) == "PERSISTED_QUERY_NOT_FOUND"
    body = await post(
        gateway, {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha(LINKS)}}}
    )
    assert code(body) == "PERSISTED_QUERY_NOT_SUPPORTED"


async def test_apq_documents_are_shared_through_redis(redis_server: RedisServer) -> None:
    environ = {"REDIS_URL": redis_server.url}
    document = "query Shared { meetingLinks(first: 1) { totalCount } }"
    async with running_gateway(environ) as first:
        await post(first, {"query": document, "extensions": persisted(sha(document))})
    async with running_gateway(environ) as second:
        body = await post(second, {"extensions": persisted(sha(document))})
        assert body["data"]["meetingLinks"]["totalCount"] > 0


async def test_the_allow_list_runs_only_the_persisted_operations() -> None:
    async with running_gateway({"GATEWAY_PERSISTED_ONLY": "true"}) as gateway:
        before = await gateway.calls()
        for payload in (
            {"query": LINKS},
            {"query": LINKS, "extensions": persisted(sha(LINKS))},
            {"query": "{ __typename }"},
        ):
            assert code(await post(gateway, payload)) == "PERSISTED_QUERY_REQUIRED"
        # An unknown hash is not found (so an APQ client sends its document, refused above).
        unknown = await post(gateway, {"extensions": persisted(sha(LINKS))})
        assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
        response = await gateway.http.post("/graphql", content=b"not json")
        assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        assert await gateway.calls() == before
        variables = {"slug": "mel-nelson", "timeZone": "UTC"}
        by_text = await post(gateway, {"query": INFO, "variables": variables})
        by_hash = await post(gateway, {"variables": variables, "extensions": persisted(sha(INFO))})
        stripped = await post(gateway, {"query": INFO.strip(), "variables": variables})
        assert by_text == by_hash == stripped
        assert by_text["data"]["meetingLink"]["slug"] == "mel-nelson"


async def test_the_allow_list_reads_another_directory(tmp_path: Path) -> None:
    (tmp_path / "Only.graphql").write_text(LINKS)
    environ = {"GATEWAY_PERSISTED_ONLY": "true", "GATEWAY_OPERATIONS_DIR": str(tmp_path)}
    async with running_gateway(environ) as gateway:
        assert "errors" not in await post(gateway, {"query": LINKS})
        body = await post(gateway, {"query": INFO, "variables": {"slug": "x", "timeZone": "UTC"}})
        assert code(body) == "PERSISTED_QUERY_REQUIRED"


async def test_unreadable_bodies_are_still_a_4xx(gateway: Gateway) -> None:
    response = await gateway.http.post(
        "/graphql", content=b"{", headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert isinstance(response, httpx.Response)


PERSISTED_KEYS = "mg:v1:e:persisted:persisted-query:*"


async def stored_documents(server: RedisServer) -> int:
    client = Redis.from_url(server.url)
    try:
        return len([key async for key in client.scan_iter(match=PERSISTED_KEYS)])
    finally:
        await client.aclose()


def failing_registrations(count: int) -> list[str]:
    """About 60 KB each (the body limit is 64 KB), each failing before execution."""
    padding = "#" + "p" * 59_000 + "\n"
    documents = []
    for number in range(count):
        documents += [
            f'{{ meetingLink(slug: "{number}{"x" * 59_000}") {{ nope }} }}',  # not in the schema
            padding + "{ " + f"a{number}: __typename " * 11 + "}",  # past a document limit
            padding + "{ meetingLink(",  # does not parse
            padding + f"query Q{number} {{ __typename }}",  # valid, but past the size bound
        ]
    return documents


async def test_apq_registers_only_documents_that_validate_and_fit(
    own_redis_server: RedisServer,
) -> None:
    bound = 400_000
    environ = {"REDIS_URL": own_redis_server.url, "GATEWAY_L1_MAX_BYTES": str(bound)}
    async with running_gateway(environ) as gateway:
        before = await gateway.calls()
        refused = failing_registrations(25)
        for document in refused:
            body = await post(gateway, {"query": document, "extensions": persisted(sha(document))})
            assert body.get("errors") or body["data"] == {"__typename": "Query"}  # answered
        assert await stored_documents(own_redis_server) == 0
        for document in refused:
            body = await post(gateway, {"extensions": persisted(sha(document))})
            assert code(body) == "PERSISTED_QUERY_NOT_FOUND"
        # Valid documents within the size bound are kept: 40 of 10 KB, more than L1 may hold.
        kept = [f"#{'k' * 10_000}\nquery Kept{number} {{ __typename }}" for number in range(40)]
        for document in kept:
            body = await post(gateway, {"query": document, "extensions": persisted(sha(document))})
            assert body["data"] == {"__typename": "Query"}
        assert await stored_documents(own_redis_server) == 40
        cache = gateway.runtime.cache
        assert cache.l1_weight <= bound
        # The first ones left L1 for the bound's sake, yet Redis still answers their hash.
        body = await post(gateway, {"extensions": persisted(sha(kept[0]))})
        assert body["data"] == {"__typename": "Query"}
        assert cache.l1_weight <= bound
        assert await gateway.calls() == before


AVAILABILITY = operation("MeetingLinkAvailability")
WINDOW = {"slug": "mel-nelson", "timeZone": "UTC", "durationMinutes": 30, "first": 3}


def commented(document: str) -> str:
    """The same document with a comment, commas and its lines indented otherwise."""
    return "# sent by a hand-written client\n" + document.replace("\n  ", ",\n\t ")


async def test_persisted_only_runs_the_shipped_operations_in_any_formatting() -> None:
    async with running_gateway({"GATEWAY_PERSISTED_ONLY": "true"}) as gateway:
        plain = await post(gateway, {"query": AVAILABILITY, "variables": WINDOW})
        assert "errors" not in plain
        for form in (reprinted(AVAILABILITY), commented(AVAILABILITY)):
            assert await post(gateway, {"query": form, "variables": WINDOW}) == plain
        shaped = apollo_shaped(AVAILABILITY)
        assert shaped.count("__typename") == 4
        answer = await post(gateway, {"query": shaped, "variables": WINDOW})
        # What Apollo asked for: the same data, with the type names its cache needs.
        link = answer["data"]["meetingLink"]
        assert link["__typename"] == "MeetingLink"
        assert link["availability"]["__typename"] == "Availability"
        slots = [
            {k: v for k, v in slot.items() if k != "__typename"}
            for slot in link["availability"]["slots"]
        ]
        assert slots == plain["data"]["meetingLink"]["availability"]["slots"]
        over_get = await gateway.http.get("/graphql", params=query_params(shaped, WINDOW))
        assert over_get.json() == answer


async def test_persisted_only_registers_a_shipped_operation_sent_by_apq() -> None:
    shaped = apollo_shaped(operation("ListMeetingLinks"))
    digest = sha(shaped)
    async with running_gateway({"GATEWAY_PERSISTED_ONLY": "true"}) as gateway:
        assert code(await post(gateway, {"extensions": persisted(digest)})) == (
            "PERSISTED_QUERY_NOT_FOUND"
        )
        registered = await post(gateway, {"query": shaped, "extensions": persisted(digest)})
        assert registered["data"]["meetingLinks"]["totalCount"] > 0
        assert await post(gateway, {"extensions": persisted(digest)}) == registered


def one_change_each(document: str) -> dict[str, str]:
    """Documents that differ from ``document`` in what they ask, each in one way."""
    return {
        "an aliased __typename added": document.replace(
            "    slug\n", "    slug\n    kind: __typename\n", 1
        ),
        "a __typename under a directive": document.replace(
            "    slug\n", "    slug\n    __typename @include(if: true)\n", 1
        ),
        "an argument changed": document.replace("(slug: $slug)", '(slug: "acme-team")', 1),
        "a field dropped": document.replace("    slug\n", "", 1),
        "a field added": document.replace("    slug\n", "    slug\n    url\n", 1),
        "a second operation": document + "\nquery Extra { meetingLinks(first: 50) { totalCount } }",
        "a type name alone": "query MeetingLinkBookingInfo { __typename }",
        "a renamed operation": document.replace("MeetingLinkBookingInfo", "Renamed", 1),
    }


@pytest.mark.parametrize("change", sorted(one_change_each(INFO)))
async def test_dropping_type_names_lets_no_other_operation_through(change: str) -> None:
    changed = one_change_each(INFO)[change]
    assert changed != INFO
    variables = {"slug": "mel-nelson", "timeZone": "UTC"}
    async with running_gateway({"GATEWAY_PERSISTED_ONLY": "true"}) as gateway:
        before = await gateway.calls()
        for form in (changed, apollo_shaped(changed)):
            body = await post(gateway, {"query": form, "variables": variables})
            assert code(body) == "PERSISTED_QUERY_REQUIRED", form
        assert await gateway.calls() == before


async def test_a_get_asking_for_an_event_stream_meets_the_allow_list_too() -> None:
    stream = {"accept": "text/event-stream"}
    async with running_gateway({"GATEWAY_PERSISTED_ONLY": "true"}) as gateway:
        before = await gateway.calls()
        refused = await gateway.http.get("/graphql", params=query_params(LINKS), headers=stream)
        assert code(refused.json()) == "PERSISTED_QUERY_REQUIRED"
        assert refused.headers["cache-control"] == "no-store"
        assert await gateway.calls() == before
        shipped = operation("ListMeetingLinks")
        answered = await gateway.http.get("/graphql", params=query_params(shipped), headers=stream)
        assert answered.status_code == 200
        assert "PERSISTED_QUERY_REQUIRED" not in answered.text
