"""The app's own routes: probes, and the GraphQL endpoint's answers to unreadable requests."""

from __future__ import annotations

import pytest

from tests.support.harness import Gateway


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"not json at all", "application/json"),
        (b'{"query": "{ meetingLinks { totalCount } }"}', "text/plain"),
        (b"", "application/json"),
        (b"[1, 2", "application/json"),
    ],
)
async def test_an_unreadable_request_is_a_4xx(
    gateway: Gateway, body: bytes, content_type: str
) -> None:
    response = await gateway.http.post(
        "/graphql", content=body, headers={"Content-Type": content_type}
    )
    assert 400 <= response.status_code < 500, response.text


async def test_readiness_reads_through_the_cache(gateway: Gateway) -> None:
    first = await gateway.http.get("/readyz")
    assert first.status_code == 200
    assert first.json() == {"status": "ready", "upstream": "ok", "cache": "ok"}
    before = await gateway.calls()
    for _ in range(5):
        assert (await gateway.http.get("/readyz")).status_code == 200
    assert await gateway.calls() == before


async def test_not_ready_when_nothing_can_answer(gateway: Gateway) -> None:
    await gateway.sandbox.put("/_sandbox/faults", json={"errorRate": 1.0})
    # Nothing cached yet in a fresh process: the probe's read reaches a failing upstream.
    response = await gateway.http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
