"""GraphQL over GET on ``/graphql``: queries run, mutations never do, APQ works the same as
over POST, and a browser still gets GraphiQL."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from tests.support.bookings import booking
from tests.support.harness import Gateway, operation
from tests.support.query_string import apq, query_params, sha
from tests.support.replicas import scrape, value

INFO = operation("MeetingLinkBookingInfo")
BOOK = operation("BookMeeting")
LINKS = "query Links($first: Int) { meetingLinks(first: $first) { totalCount nodes { slug } } }"
JSON = {"accept": "application/json"}


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def get(gateway: Gateway, **params: Any) -> httpx.Response:
    return await gateway.http.get("/graphql", params=query_params(**params), headers=JSON)


async def test_a_query_over_get_answers_what_post_does(gateway: Gateway) -> None:
    variables = {"slug": "mel-nelson", "timeZone": "Europe/Berlin"}
    posted = await gateway.execute(INFO, variables)
    got = await get(
        gateway, query=INFO, variables=variables, operation_name="MeetingLinkBookingInfo"
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/json"
    assert got.json() == posted
    assert posted["data"]["meetingLink"]["slug"] == "mel-nelson"


async def test_a_mutation_over_get_is_refused_with_405_and_runs_nothing(gateway: Gateway) -> None:
    variables = booking("mel-nelson", "2026-03-03T15:00:00Z", 30)
    before = await gateway.calls()
    by_text = await get(gateway, query=BOOK, variables=variables)
    # A shipped operation asked for by its hash alone: still a mutation.
    by_hash = await get(gateway, variables=variables, extensions=apq(sha(BOOK)))
    for refused in (by_text, by_hash):
        assert refused.status_code == 405, refused.text
        assert refused.headers["allow"] == "POST"
        assert refused.headers["content-type"] == "application/json"
        assert refused.headers["cache-control"] == "no-store"
        assert code(refused) == "METHOD_NOT_ALLOWED"
        assert "data" not in refused.json()
    assert await gateway.calls() == before


async def test_a_mutation_known_by_its_hash_is_refused_over_get(gateway: Gateway) -> None:
    document = "mutation Release($id: ID!) { releaseHold(id: $id) { __typename } }"
    registered = await gateway.http.post(
        "/graphql",
        json={"query": document, "variables": {"id": "h1"}, "extensions": apq(sha(document))},
    )
    assert registered.json()["data"]["releaseHold"]["__typename"] == "HoldNotFound"
    refused = await get(gateway, variables={"id": "h1"}, extensions=apq(sha(document)))
    assert refused.status_code == 405
    assert code(refused) == "METHOD_NOT_ALLOWED"


async def test_apq_over_get_registers_then_runs_by_hash(gateway: Gateway) -> None:
    digest = sha(LINKS)
    variables = {"first": 2}
    unknown = await get(gateway, variables=variables, extensions=apq(digest))
    assert unknown.status_code == 200
    assert code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    # Never kept by a browser: the next try must reach the gateway.
    assert unknown.headers["cache-control"] == "no-store"
    registered = await get(gateway, query=LINKS, variables=variables, extensions=apq(digest))
    assert registered.json()["data"]["meetingLinks"]["totalCount"] > 0
    calls = await gateway.calls()
    by_hash = await get(gateway, variables=variables, extensions=apq(digest))
    assert by_hash.json() == registered.json()
    assert by_hash.headers["etag"] == registered.headers["etag"]
    assert await gateway.calls() == calls
    mismatch = await get(gateway, query=LINKS + " ", extensions=apq(digest))
    assert code(mismatch) == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_what_cannot_run_over_get_is_a_json_4xx(gateway: Gateway) -> None:
    before = await gateway.calls()
    cases = {
        "no query": ({}, 400, "BAD_REQUEST"),
        "variables not JSON": ({"query": LINKS, "variables": "{"}, 400, "BAD_REQUEST"),
        "variables not an object": ({"query": LINKS, "variables": "[1]"}, 400, "BAD_REQUEST"),
        "extensions not JSON": ({"query": LINKS, "extensions": "nope"}, 400, "BAD_REQUEST"),
        "deep variables": ({"query": LINKS, "variables": "[" * 20_000}, 400, "BAD_REQUEST"),
    }
    for name, (params, status, expected) in cases.items():
        response = await gateway.http.get("/graphql", params=params, headers=JSON)
        assert response.status_code == status, (name, response.text)
        assert code(response) == expected, name
        assert response.headers["cache-control"] == "no-store", name
    unparsable = await get(gateway, query="{ meetingLinks(")
    assert unparsable.status_code == 200
    assert unparsable.json() == await gateway.execute("{ meetingLinks(")
    assert unparsable.json()["data"] is None
    assert unparsable.headers["cache-control"] == "no-store"
    assert await gateway.calls() == before


async def test_a_browser_still_gets_graphiql(gateway: Gateway) -> None:
    page = await gateway.http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # With a query in the URL, a browser gets the answer, as any client does.
    answer = await gateway.http.get(
        "/graphql", params=query_params(LINKS, {"first": 1}), headers={"accept": "text/html"}
    )
    assert answer.json()["data"]["meetingLinks"]["totalCount"] > 0


async def test_logs_and_metrics_name_the_operation_of_a_get(gateway: Gateway) -> None:
    await get(gateway, query=LINKS, variables={"first": 1})
    await gateway.http.get("/graphql", headers={"accept": "text/html"})
    samples = await scrape(gateway)
    route = {"route": "/graphql", "status": "200"}
    assert value(samples, "gateway_requests_total", operation="Links", **route) == 1
    # GraphiQL's page is no operation.
    assert value(samples, "gateway_requests_total", operation="", **route) == 1


async def test_a_query_asking_for_an_event_stream_streams_its_answer_each_time(
    gateway: Gateway,
) -> None:
    availability = operation("MeetingLinkAvailability")
    variables = {"slug": "mel-nelson", "timeZone": "Asia/Kolkata"}
    answered = await gateway.execute(availability, variables)
    body = {"query": availability, "variables": variables}
    for _ in range(2):  # the second would be the kept answer, were streams kept
        streamed = await gateway.http.post(
            "/graphql", json=body, headers={"accept": "text/event-stream"}
        )
        assert streamed.status_code == 200, streamed.text
        assert streamed.headers["content-type"].startswith("text/event-stream")
        events = [event for event in streamed.text.split("\r\n\r\n") if event]
        assert [event.split("\r\n")[0] for event in events] == ["event: next", "event: complete"]
        data = events[0].split("\r\n", 1)[1].removeprefix("data: ")
        assert orjson.loads(data) == answered
