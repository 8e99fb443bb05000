"""Who may call: API keys, pass-through tokens, body size, CORS, production masking,
introspection, and slugs that could travel somewhere they should not."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.cache.keys import PREFIX, tenant_id
from gateway.edge.access import RateLimiter
from gateway.settings import ApiKey, Settings
from tests.contract.hubspot_spec import assert_matches
from tests.rest.api import booking_body
from tests.support.bookings import booking
from tests.support.harness import NOW, Gateway, operation, running_gateway
from tests.support.redis_server import RedisServer
from tests.support.replicas import served_sandbox
from tests.support.served import served as serve

LINKS = "{ meetingLinks(first: 3) { totalCount nodes { slug } } }"
REST_LINKS = "/scheduler/v3/meetings/meeting-links"
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
KEYS = "partner-a:key-a-0123456789:600,partner-b:key-b-0123456789:2"
TOKEN_A = "tok-a-0123456789abcdef"
TOKEN_B = "tok-b-0123456789abcdef"
# Accepted for reads only (HubSpot's 403 MISSING_SCOPES on a booking).
TOKEN_READER = "tok-r-0123456789abcdef"
# Accepted until a test revokes them (and lifts the revocation again).
TOKEN_REVOKED = "tok-v-0123456789abcdef"
TOKEN_OWN = "tok-o-0123456789abcdef"


async def graphql(
    gateway: Gateway, document: str, headers: dict[str, str] | None = None, **extra: Any
) -> httpx.Response:
    return await gateway.http.post(
        "/graphql", json={"query": document, **extra}, headers=headers or {}
    )


async def test_api_keys_guard_graphql_and_rest(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_gateway({"GATEWAY_API_KEYS": KEYS}) as gateway:
        before = await gateway.calls()
        for headers in ({}, {"X-API-Key": "key-a-wrong-000000"}, {"Authorization": "ApiKey x"}):
            response = await graphql(gateway, LINKS, headers)
            assert response.status_code == 401
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
            rest = await gateway.http.get(REST_LINKS, headers=headers)
            assert rest.status_code == 401
            assert rest.json()["status"] == "error"
        assert await gateway.calls() == before
        ok = await graphql(gateway, LINKS, {"X-API-Key": "key-a-0123456789"})
        assert ok.status_code == 200
        assert "errors" not in ok.json()
        rest = await gateway.http.get(
            REST_LINKS, headers={"Authorization": "ApiKey key-a-0123456789"}
        )
        assert rest.status_code == 200
        # Health, metrics and the API's description stay open.
        assert (await gateway.http.get("/healthz")).status_code == 200
        assert (await gateway.http.get("/openapi.json")).status_code == 200
    assert "key-a-0123456789" not in caplog.text
    assert "key-b-0123456789" not in caplog.text


async def test_each_key_has_its_own_rate(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_gateway({"GATEWAY_API_KEYS": KEYS}) as gateway:
        slow = {"X-API-Key": "key-b-0123456789"}
        assert (await graphql(gateway, "{ __typename }", slow)).status_code == 200
        assert (await gateway.http.get(REST_LINKS, headers=slow)).status_code == 200
        refused = await graphql(gateway, "{ __typename }", slow)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert (await gateway.http.get(REST_LINKS, headers=slow)).status_code == 429
        # The other key is untouched by partner-b's spending.
        other = await graphql(gateway, "{ __typename }", {"X-API-Key": "key-a-0123456789"})
        assert other.status_code == 200
    assert "partner-b" in caplog.text
    assert "key-b-0123456789" not in caplog.text


def test_the_bucket_refills_at_the_keys_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(timer=lambda: now[0])
    key = ApiKey("p", "k" * 8, 60)
    assert all(limiter.admit(key) == 0 for _ in range(60))
    assert limiter.admit(key) == pytest.approx(1.0)
    now[0] = 0.5
    assert limiter.admit(key) == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.admit(key) == 0


async def test_bodies_past_the_limit_get_413_before_parsing(gateway: Gateway) -> None:
    before = await gateway.calls()
    big = {"query": "{ __typename }", "variables": {"pad": "x" * 70_000}}
    assert (await gateway.http.post("/graphql", json=big)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 4096  # no Content-Length: counted as it arrives

    response = await gateway.http.post("/graphql", content=chunks())
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    lying = await gateway.http.post(
        "/graphql", content=b"{}", headers={"Content-Length": "999999999"}
    )
    assert lying.status_code == 413
    assert await gateway.calls() == before


async def test_cors_exposes_and_allows_the_gateways_headers() -> None:
    origin = "https://app.example"
    async with running_gateway({"GATEWAY_CORS_ORIGINS": origin}) as gateway:
        preflight = await gateway.http.options(
            "/graphql",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key, if-none-match",
            },
        )
        assert preflight.status_code == 200
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "x-api-key" in allowed
        assert "if-none-match" in allowed
        answer = await gateway.http.get(REST_LINKS, headers={"Origin": origin})
        exposed = answer.headers["access-control-expose-headers"].lower()
        assert {"etag", "retry-after", "x-request-id"} <= set(exposed.replace(" ", "").split(","))


async def test_introspection_and_graphiql_follow_the_setting() -> None:
    query = "{ __schema { queryType { name } } }"
    async with running_gateway({"GATEWAY_PRODUCTION": "true"}) as gateway:
        body = (await graphql(gateway, query)).json()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "introspection" in body["errors"][0]["message"].lower()
        page = await gateway.http.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in page.text.lower()
        # __typename is no introspection.
        assert (await graphql(gateway, "{ __typename }")).json() == {
            "data": {"__typename": "Query"}
        }
    async with running_gateway(
        {"GATEWAY_PRODUCTION": "true", "GATEWAY_INTROSPECTION": "true"}
    ) as gateway:
        assert "errors" not in (await graphql(gateway, query)).json()
    async with running_gateway() as gateway:
        assert "errors" not in (await graphql(gateway, query)).json()
        page = await gateway.http.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" in page.text.lower()


TRICKS = [
    "../mel-nelson",
    "mel-nelson/..",
    "mel-nelson/../priya-raman",
    "%2F..%2Fmel-nelson",
    "mel-nelson%2F..",
    "mel-nelson\\..\\x",
    "mel\x00nelson",
    "mel-nelson\n",
    "/mel-nelson",
    "mel-nelson/",
    "mel//nelson",
    ".hidden",
    "a" * 201,
    "",
]


async def test_slug_tricks_cost_no_upstream_call(gateway: Gateway) -> None:
    before = await gateway.calls()
    book = operation("BookMeeting")
    for slug in TRICKS:
        data = await gateway.data(
            "query($s: String!) { meetingLink(slug: $s) { id } }", {"s": slug}
        )
        assert data == {"meetingLink": None}
        result = (
            await gateway.data(
                book,
                {
                    "input": {
                        "slug": slug,
                        "start": "2026-03-03T15:00:00Z",
                        "durationMinutes": 30,
                        "timeZone": "UTC",
                        "firstName": "Alex",
                        "lastName": "Morgan",
                        "email": "alex@acme-corp.io",
                    }
                },
            )
        )["bookMeeting"]
        assert result["__typename"] == "InvalidBookingInput", (slug, result)
        assert result["errors"][0]["code"] == "INVALID_SLUG"
    for slug in ("%2E%2E", "..%2Fx", "x/%2e%2e/y", "a%5Cb", "%00"):
        response = await gateway.http.get(f"{REST_LINKS}/book/{slug}?timezone=UTC")
        assert response.status_code in (400, 404), (slug, response.text)
        if response.status_code == 400:
            assert response.json()["errors"][0]["code"] == "INVALID_SLUG"
    assert await gateway.calls() == before
    # A real team slug still works.
    assert (await gateway.data('{ meetingLink(slug: "acme-team/group-review") { id } }'))[
        "meetingLink"
    ]


# -- pass-through ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_sandbox() -> Iterator[str]:
    """A sandbox that accepts only two tokens, so what it answers proves what it was sent."""
    with served_sandbox(
        {
            "SANDBOX_TOKENS": f"{TOKEN_A},{TOKEN_B},{TOKEN_REVOKED},{TOKEN_OWN}",
            "SANDBOX_READ_ONLY_TOKENS": TOKEN_READER,
        }
    ) as base:
        yield base


@asynccontextmanager
async def over_sandbox(base: str, environ: dict[str, str]) -> AsyncIterator[Gateway]:
    """The gateway on the sandbox served at ``base``."""
    settings = Settings.from_environ({"SANDBOX_NOW": NOW, "HUBSPOT_BASE_URL": base, **environ})
    app = create_app(settings)
    async with (
        serve(app) as server,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://gw") as http,
        httpx.AsyncClient(base_url=base) as sandbox,
    ):
        yield Gateway(app, http, sandbox, server.runtime)


@asynccontextmanager
async def pass_through_gateway(base: str, **environ: str) -> AsyncIterator[Gateway]:
    pass_through_environ = {
        # The gateway's own credential (for probes); never used for a client's calls.
        "HUBSPOT_ACCESS_TOKEN": "gateway-own-token-not-accepted",
        "GATEWAY_PASS_THROUGH_AUTH": "true",
    }
    async with over_sandbox(base, {**pass_through_environ, **environ}) as gateway:
        yield gateway


@asynccontextmanager
async def pass_through(base: str, **environ: str) -> AsyncIterator[httpx.AsyncClient]:
    async with pass_through_gateway(base, **environ) as gateway:
        yield gateway.http


@asynccontextmanager
async def revoked(base: str, *tokens: str) -> AsyncIterator[None]:
    """``tokens`` refused by the sandbox (401) within the block."""
    async with httpx.AsyncClient(base_url=base) as http:
        await http.put("/_sandbox/tokens", json={"revoked": list(tokens)})
        try:
            yield
        finally:
            await http.put("/_sandbox/tokens", json={"revoked": []})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def calls(base: str) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=base) as http:
        counts: dict[str, int] = (await http.get("/_sandbox/calls")).json()
        return counts


async def test_pass_through_isolates_tenants(
    strict_sandbox: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with pass_through(strict_sandbox) as http:
        before = await calls(strict_sandbox)
        missing = await http.post("/graphql", json={"query": LINKS})
        assert missing.status_code == 401
        assert (await http.get(REST_LINKS)).status_code == 401
        assert await calls(strict_sandbox) == before

        first = await http.post("/graphql", json={"query": LINKS}, headers=bearer(TOKEN_A))
        assert "errors" not in first.json(), first.json()
        after_a = await calls(strict_sandbox)
        assert after_a["list_links"] == before["list_links"] + 1
        # Same tenant: answered from its caches.
        again = await http.post("/graphql", json={"query": LINKS}, headers=bearer(TOKEN_A))
        assert again.json() == first.json()
        assert await calls(strict_sandbox) == after_a
        # Another tenant: its own upstream call, with its own token (the sandbox accepted it).
        other = await http.post("/graphql", json={"query": LINKS}, headers=bearer(TOKEN_B))
        assert other.json() == first.json()
        assert (await calls(strict_sandbox))["list_links"] == after_a["list_links"] + 1
        # A token the upstream refuses never gets another tenant's cached answer.
        stranger = "tok-c-0123456789abcdef"
        refused = await http.post("/graphql", json={"query": LINKS}, headers=bearer(stranger))
        body = refused.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        rest = await http.get(REST_LINKS, headers=bearer(stranger))
        assert rest.status_code == 401
        assert (await http.get(REST_LINKS, headers=bearer(TOKEN_B))).status_code == 200
    for token in (TOKEN_A, TOKEN_B, stranger):
        assert token not in caplog.text
        assert token not in refused.text


async def test_production_masks_upstream_messages(
    strict_sandbox: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    stranger = bearer("tok-d-0123456789abcdef")
    async with pass_through(strict_sandbox) as http:
        plain = (await http.post("/graphql", json={"query": LINKS}, headers=stranger)).json()
    async with pass_through(strict_sandbox, GATEWAY_PRODUCTION="true") as http:
        response = await http.post(
            "/graphql", json={"query": LINKS}, headers={**stranger, "X-Request-Id": "req-42"}
        )
    masked = response.json()["errors"][0]
    detail = plain["errors"][0]["message"]
    assert masked["message"] != detail
    assert detail not in response.text
    assert masked["extensions"]["code"] == "UNAUTHENTICATED"
    assert masked["extensions"]["correlationId"] == "req-42"
    assert detail in caplog.text  # the log has what the client was not told


# -- refused credentials ---------------------------------------------------------------------

# Short freshness, so a test sees its reads go stale (and be refreshed) without long waits;
# a whole second, so that a fresh answer says max-age=1 and a stale one max-age=0.
QUICK = {
    "GATEWAY_LINKS_TTL": "1",
    "GATEWAY_BOOKING_INFO_TTL": "1",
    "GATEWAY_AVAILABILITY_TTL": "1",
}
BOOKING_INFO = f"{REST_LINKS}/book/mel-nelson?timezone=UTC"


async def answered_stale(gateway: Gateway, headers: dict[str, str]) -> None:
    """Read the link list until it is answered stale (past its TTL, while a refresh runs
    behind), then wait for that refresh to land."""
    stats = gateway.runtime.cache.stats
    async with asyncio.timeout(5):
        while True:
            served = stats.stale_served
            response = await gateway.http.get(REST_LINKS, headers=headers)
            assert response.status_code == 200, response.text
            if stats.stale_served > served:
                break
            await asyncio.sleep(0.05)
        await gateway.runtime.cache.drain()


def hubspot_refusal(response: httpx.Response, status: int, category: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert_matches("Error", body)
    assert (body["status"], body["category"]) == ("error", category)
    assert response.headers["X-HubSpot-Correlation-Id"] == body["correlationId"]
    return body


def graphql_refusal(response: httpx.Response, code: str) -> None:
    body = response.json()
    assert body["data"] is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == [code], body


async def test_a_revoked_pass_through_token_reads_nothing_more(
    strict_sandbox: str, redis_server: RedisServer
) -> None:
    token = bearer(TOKEN_REVOKED)
    entries = f"{PREFIX}:e:{tenant_id(TOKEN_REVOKED)}:*"
    raw = Redis.from_url(redis_server.url)
    try:
        async with pass_through_gateway(
            strict_sandbox, REDIS_URL=redis_server.url, **QUICK
        ) as gateway:
            http = gateway.http
            assert "errors" not in (await graphql(gateway, LINKS, token)).json()
            assert (await http.get(BOOKING_INFO, headers=token)).status_code == 200
            assert (await http.get(REST_LINKS, headers=token)).status_code == 200
            assert await raw.keys(entries)
            async with revoked(strict_sandbox, TOKEN_REVOKED):
                # Answered stale at once past its TTL; the refresh behind it meets the 401.
                await answered_stale(gateway, token)
                before = await calls(strict_sandbox)
                rest = await http.get(REST_LINKS, headers=token)
                body = hubspot_refusal(rest, 401, "INVALID_AUTHENTICATION")
                assert body["message"] == "The access token provided is not valid."
                hubspot_refusal(
                    await http.get(BOOKING_INFO, headers=token), 401, "INVALID_AUTHENTICATION"
                )
                graphql_refusal(await graphql(gateway, LINKS, token), "UNAUTHENTICATED")
                start = "2026-03-03T15:00:00Z"
                booked = await graphql(
                    gateway, BOOK, token, variables=booking("mel-nelson", start, 30, timeZone="UTC")
                )
                graphql_refusal(booked, "UNAUTHENTICATED")
                # Nothing of the tenant is left in Redis, and each answer was HubSpot's to give.
                assert await raw.keys(entries) == []
                after = await calls(strict_sandbox)
                assert {k: after[k] - before[k] for k in after} == {
                    "list_links": 4,
                    "booking_info": 0,
                    "availability": 0,
                    "book": 0,
                }
            # The same token, valid again, reads afresh (nothing was kept from before).
            again = await http.get(REST_LINKS, headers=token)
            assert again.status_code == 200
            assert (await calls(strict_sandbox))["list_links"] == after["list_links"] + 1
    finally:
        await raw.aclose()


async def test_a_token_without_the_write_scope_is_told_so_when_it_books(
    strict_sandbox: str,
) -> None:
    reader = bearer(TOKEN_READER)
    async with pass_through_gateway(strict_sandbox) as gateway:
        slots = await graphql(
            gateway,
            AVAILABILITY,
            reader,
            variables={"slug": "mel-nelson", "timeZone": "UTC", "durationMinutes": 30},
        )
        start = slots.json()["data"]["meetingLink"]["availability"]["slots"][0]["start"]
        booked = await graphql(
            gateway, BOOK, reader, variables=booking("mel-nelson", start, 30, timeZone="UTC")
        )
        graphql_refusal(booked, "FORBIDDEN")
        start_ms = int(datetime.fromisoformat(start).timestamp() * 1000)
        rest = await gateway.http.post(
            f"{REST_LINKS}/book",
            json=booking_body("mel-nelson", start_ms, 30 * 60_000),
            headers=reader,
        )
        hubspot_refusal(rest, 403, "MISSING_SCOPES")
        # Reading is what the token may do, and still does.
        assert (await gateway.http.get(BOOKING_INFO, headers=reader)).status_code == 200


async def test_a_refusal_of_the_gateways_own_token_is_a_misconfiguration(
    strict_sandbox: str,
) -> None:
    async with over_sandbox(strict_sandbox, {"HUBSPOT_ACCESS_TOKEN": TOKEN_OWN, **QUICK}) as gw:
        assert (await gw.http.get(BOOKING_INFO)).status_code == 200
        assert (await gw.http.get(REST_LINKS)).status_code == 200
        async with revoked(strict_sandbox, TOKEN_OWN):
            await answered_stale(gw, {})
            rest = await gw.http.get(REST_LINKS)
            body = hubspot_refusal(rest, 502, "BAD_GATEWAY")
            assert body["subCategory"] == "UPSTREAM_AUTH"
            assert "operator" in body["message"]
            # Not stale either: the credential reads nothing until it is replaced.
            hubspot_refusal(await gw.http.get(BOOKING_INFO), 502, "BAD_GATEWAY")
            graphql_refusal(await graphql(gw, LINKS), "UPSTREAM_AUTH")


# -- what production hides ------------------------------------------------------------------

# Each makes graphql-core guess at what was meant ("Did you mean ...?").
MISSPELT = [
    ("{ meetingLinkz(first: 1) { totalCount } }", None),
    ("{ meetingLinks(frist: 1) { totalCount } }", None),
    ("{ meetingLinks(first: 1) { nodes { slugg } } }", None),
    ("query { ...f } fragment f on Quer { __typename }", None),
    (
        "query($t: MeetingLinkTyp) { meetingLinks(first: 1, type: $t) { totalCount } }",
        None,
    ),
    (
        "mutation($i: BookMeetingInput!) { bookMeeting(input: $i) { __typename } }",
        {
            "i": {
                "slug": "mel-nelson",
                "start": "2026-03-03T15:00:00Z",
                "durationMinutes": 30,
                "timeZone": "UTC",
                "firstName": "A",
                "lastName": "M",
                "email": "a@example.com",
                "idempotencyKy": "k-1",
            }
        },
    ),
]


async def test_validation_errors_spell_out_no_schema_when_introspection_is_off() -> None:
    async with running_gateway() as gateway:
        for document, variables in MISSPELT:
            body = (await graphql(gateway, document, variables=variables)).json()
            assert "Did you mean" in body["errors"][0]["message"], (document, body)
    for environ in ({"GATEWAY_PRODUCTION": "true"}, {"GATEWAY_INTROSPECTION": "false"}):
        async with running_gateway(environ) as gateway:
            before = await gateway.calls()
            for document, variables in MISSPELT:
                body = (await graphql(gateway, document, variables=variables)).json()
                assert body["errors"], body
                for error in body["errors"]:
                    assert "Did you mean" not in error["message"], (document, error)
                    assert error["message"], error
                    assert error["extensions"]["code"] in (
                        "GRAPHQL_VALIDATION_FAILED",
                        "BAD_USER_INPUT",
                    ), error
            assert await gateway.calls() == before


async def test_production_keeps_the_upstreams_words_out_of_every_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    book = booking_body("mel-nelson", "2026-03-03T15:00:00Z", 30 * 60_000)
    async with running_gateway({"GATEWAY_PRODUCTION": "true"}) as gateway:
        await gateway.sandbox.put("/_sandbox/faults", json={"errorRate": 1.0})
        booked = (
            await graphql(
                gateway,
                BOOK,
                {"X-Request-Id": "req-77"},
                variables=booking("mel-nelson", "2026-03-03T15:00:00Z", 30, timeZone="UTC"),
            )
        ).json()
        result = booked["data"]["bookMeeting"]
        assert result["__typename"] == "UpstreamUnavailable"
        assert result["message"] == "HubSpot could not be reached; try again later."
        rest = await gateway.http.post(f"{REST_LINKS}/book", json=book)
        body = hubspot_refusal(rest, 503, "SERVICE_UNAVAILABLE")
        assert body["subCategory"] == "UPSTREAM_UNAVAILABLE"
        assert body["message"] == "HubSpot could not be reached; retry later."
        read = await gateway.http.get(BOOKING_INFO)
        assert hubspot_refusal(read, 503, "SERVICE_UNAVAILABLE")["message"] == body["message"]
    injected = "SANDBOX_ERROR_RATE"  # in the sandbox's own error message
    assert injected not in str(booked) + rest.text + read.text
    assert injected in caplog.text  # the log keeps what the client was not told
    assert "req-77" in caplog.text
    assert body["correlationId"] in caplog.text


async def test_every_unknown_path_of_the_rest_surface_is_hubspots_404(gateway: Gateway) -> None:
    before = await gateway.calls()
    for method, path in (
        ("GET", "/scheduler/v3/meetings/meeting-linkz"),
        ("GET", "/scheduler/v3/meetings"),
        ("POST", "/scheduler/v3/meetings/meeting-links/extra"),
        ("DELETE", "/scheduler/v2026-03/meetings/meeting-links"),
        ("GET", "/scheduler/"),
        ("GET", "/scheduler"),
    ):
        response = await gateway.http.request(method, path)
        body = hubspot_refusal(response, 404, "OBJECT_NOT_FOUND")
        assert path in body["message"]
    assert await gateway.calls() == before


async def test_made_up_tokens_share_the_apps_ceiling_and_a_bounded_set_of_tenants(
    strict_sandbox: str,
) -> None:
    settings = Settings.from_environ(
        {
            "SANDBOX_NOW": NOW,
            "HUBSPOT_BASE_URL": strict_sandbox,
            "HUBSPOT_ACCESS_TOKEN": "gateway-own-token-not-accepted",
            "GATEWAY_PASS_THROUGH_AUTH": "true",
            "GATEWAY_MAX_TENANTS": "50",
        }
    )
    app = create_app(settings)
    async with (
        serve(app) as server,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://gw") as http,
    ):
        before = await calls(strict_sandbox)
        answers = await asyncio.gather(
            *(
                http.post("/graphql", json={"query": LINKS}, headers=bearer(f"junk-{n:04d}-token"))
                for n in range(300)
            )
        )
        after = await calls(strict_sandbox)
        codes = Counter(answer.json()["errors"][0]["extensions"]["code"] for answer in answers)
        sent = after["list_links"] - before["list_links"]
        print(f"[300 made-up tokens, ceiling 100/10 s] {sent=} {codes=}")
        # All tenants together get the app's reads: 100 per 10 s less the bookings' reserve.
        assert sent == 80
        assert sum(after.values()) - sum(before.values()) == 80
        assert codes == {"UNAUTHENTICATED": 80, "UPSTREAM_RATE_LIMITED": 220}
        assert server.runtime.tenants is not None
        assert len(server.runtime.tenants) == 50
        # The ceiling is the gateway's own budget: its own calls find it spent as well.
        readiness = await http.get("/readyz")
        assert readiness.json()["upstream"] == "UPSTREAM_RATE_LIMITED"
        assert (await calls(strict_sandbox)) == after
