"""``POST /webhooks/hubspot``: HubSpot's v3 signature, its refusals, and what a delivery drops."""

from __future__ import annotations

import json
import time
from typing import Any

from gateway.rest.webhooks import signature
from tests.support.harness import Gateway, running_gateway
from tests.support.replicas import scrape, value

SECRET = "an-app-client-secret"
URL = "http://gateway/webhooks/hubspot"


def meeting_event(event_id: int, kind: str = "object.creation") -> dict[str, Any]:
    return {
        "eventId": event_id,
        "subscriptionId": 1,
        "portalId": 62515,
        "occurredAt": 1772460000000,
        "subscriptionType": kind,
        "attemptNumber": 0,
        "objectId": 9001,
        "objectTypeId": "0-47",
        "changeFlag": "CREATED",
    }


async def deliver(
    gateway: Gateway,
    events: object,
    *,
    url: str = URL,
    signed_url: str | None = None,
    secret: str = SECRET,
    age_ms: int = 0,
    body: bytes | None = None,
) -> int:
    raw = json.dumps(events).encode() if body is None else body
    stamp = str(int(time.time() * 1000) - age_ms)
    headers = {
        "content-type": "application/json",
        "X-HubSpot-Signature-v3": signature(secret, "POST", signed_url or url, raw, stamp),
        "X-HubSpot-Request-Timestamp": stamp,
    }
    response = await gateway.http.post(url, content=raw, headers=headers)
    await gateway.runtime.events.drain()
    return response.status_code


def invalidations(gateway: Gateway) -> int:
    return gateway.runtime.cache.stats.invalidations


async def test_a_signed_meeting_event_drops_the_offered_times_once() -> None:
    async with running_gateway({"HUBSPOT_CLIENT_SECRET": SECRET}) as gateway:
        before = invalidations(gateway)
        assert await deliver(gateway, [meeting_event(1)]) == 204
        assert invalidations(gateway) == before + 1
        # HubSpot's retry of the same event, signed afresh: acknowledged, applied no more.
        assert await deliver(gateway, [meeting_event(1)]) == 204
        assert invalidations(gateway) == before + 1
        # The legacy meeting.* types count as meeting events too; others are ignored.
        assert await deliver(gateway, [meeting_event(2, "meeting.deletion")]) == 204
        assert invalidations(gateway) == before + 2
        other = {**meeting_event(3, "contact.creation"), "objectTypeId": "0-1"}
        assert await deliver(gateway, [other]) == 204
        assert invalidations(gateway) == before + 2
        samples = await scrape(gateway)
        counted = {
            outcome: value(samples, "gateway_webhook_deliveries_total", outcome=outcome)
            for outcome in ("accepted", "applied", "replayed", "ignored", "refused")
        }
        assert counted == {"accepted": 4, "applied": 2, "replayed": 1, "ignored": 1, "refused": 0}


async def test_refused_deliveries_invalidate_nothing() -> None:
    async with running_gateway({"HUBSPOT_CLIENT_SECRET": SECRET}) as gateway:
        before = invalidations(gateway)
        assert await deliver(gateway, [meeting_event(1)], secret="another-secret") == 401
        assert await deliver(gateway, [meeting_event(2)], age_ms=5 * 60 * 1000 + 1000) == 401
        assert await deliver(gateway, [meeting_event(3)], age_ms=-6 * 60 * 1000) == 401
        # Signed, then changed on the way.
        raw = json.dumps([meeting_event(4)]).encode()
        stamp = str(int(time.time() * 1000))
        tampered = await gateway.http.post(
            URL,
            content=raw.replace(b"9001", b"9002"),
            headers={
                "X-HubSpot-Signature-v3": signature(SECRET, "POST", URL, raw, stamp),
                "X-HubSpot-Request-Timestamp": stamp,
            },
        )
        assert tampered.status_code == 401
        unsigned = await gateway.http.post(URL, json=[meeting_event(5)])
        assert unsigned.status_code == 401
        assert unsigned.json()["status"] == "error"
        assert await deliver(gateway, [], body=b"[" + b"{}," * 40_000 + b"{}]") == 413
        assert await deliver(gateway, {"not": "a list"}) == 400
        assert await deliver(gateway, None, body=b"not json") == 400
        assert invalidations(gateway) == before
        samples = await scrape(gateway)
        assert value(samples, "gateway_webhook_deliveries_total", outcome="refused") == 5
        assert value(samples, "gateway_webhook_deliveries_total", outcome="malformed") == 2


async def test_the_signed_uri_is_the_full_url_with_its_query() -> None:
    async with running_gateway({"HUBSPOT_CLIENT_SECRET": SECRET}) as gateway:
        url = f"{URL}?portal=62515"
        assert await deliver(gateway, [meeting_event(1)], url=url, signed_url=URL) == 401
        assert await deliver(gateway, [meeting_event(1)], url=url) == 204


async def test_behind_a_proxy_the_public_url_is_what_hubspot_signed() -> None:
    public = "https://meetings.example.com"
    environ = {"HUBSPOT_CLIENT_SECRET": SECRET, "GATEWAY_PUBLIC_URL": public}
    async with running_gateway(environ) as gateway:
        assert await deliver(gateway, [meeting_event(1)]) == 401
        signed = f"{public}/webhooks/hubspot"
        assert await deliver(gateway, [meeting_event(1)], signed_url=signed) == 204


async def test_without_a_client_secret_the_route_is_not_there(gateway: Gateway) -> None:
    before = invalidations(gateway)
    assert await deliver(gateway, [meeting_event(1)]) == 404
    assert invalidations(gateway) == before
