"""The runtime the lifespan builds once, and the accessor REST and GraphQL share."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from gateway.edge.access import Caller
from gateway.runtime import Runtime
from gateway.serving import STATE_KEY, serving_of
from tests.support.harness import running_gateway


def request_of(runtime: Runtime | None, token: str | None = None) -> Request:
    """A request as the edge leaves it: the lifespan state, and who passed access control."""
    state: dict[str, object] = {"caller": Caller(token=token)}
    if runtime is not None:
        state[STATE_KEY] = runtime
    return Request({"type": "http", "state": state})


def service_for(request: Request) -> object:
    return serving_of(request).service_for(request.scope)


async def test_one_service_for_the_gateways_own_credential_and_one_per_tenant() -> None:
    async with running_gateway({"GATEWAY_PASS_THROUGH_AUTH": "true"}) as gateway:
        runtime = gateway.runtime
        own = service_for(request_of(runtime))
        first = service_for(request_of(runtime, "tok-a"))
        assert own is runtime.service
        assert service_for(request_of(runtime, "tok-a")) is first
        assert first is not own
        assert service_for(request_of(runtime, "tok-b")) not in (own, first)
        responses = runtime.responses_for(request_of(runtime, "tok-a").scope)
        assert runtime.responses_for(request_of(runtime, "tok-a").scope) is responses


async def test_without_pass_through_every_caller_gets_the_gateways_own_service() -> None:
    async with running_gateway() as gateway:
        assert service_for(request_of(gateway.runtime, "tok-a")) is gateway.runtime.service


def test_a_request_the_lifespan_did_not_reach_is_told_why() -> None:
    with pytest.raises(RuntimeError, match="lifespan"):
        serving_of(request_of(None))
