"""Error shaping: expected errors carry codes, everything else is masked with a correlation id."""

from __future__ import annotations

import logging

import pytest
import strawberry

from gateway.errors import InputError, UpstreamUnavailable
from gateway.graphql.extensions import MASKED_MESSAGE, ErrorShaping
from gateway.graphql.schema import GatewaySchema


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("secret detail of a bug")

    @strawberry.field
    def refused(self) -> str | None:
        raise InputError("first", "OUT_OF_RANGE", "first must be 0..100")

    @strawberry.field
    def outage(self) -> str | None:
        raise UpstreamUnavailable("HubSpot timed out", retry_after=2.0)


schema = GatewaySchema(query=Query, extensions=[ErrorShaping])


async def test_a_bug_is_masked_and_logged_with_its_correlation_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        result = await schema.execute("{ broken }")
    assert result.errors is not None
    (error,) = result.errors
    assert error.message == MASKED_MESSAGE
    assert error.extensions is not None
    assert error.extensions["code"] == "INTERNAL_SERVER_ERROR"
    correlation = str(error.extensions["correlationId"])
    assert "secret" not in str(error.formatted)
    logged = [r for r in caplog.records if correlation in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert "secret detail of a bug" in str(logged[0].exc_info[1])


async def test_expected_errors_carry_codes_and_are_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = await schema.execute("{ refused outage }")
    assert result.errors is not None
    by_path = {tuple(e.path or ()): e for e in result.errors}
    assert by_path[("refused",)].extensions == {"code": "OUT_OF_RANGE", "field": "first"}
    outage = by_path[("outage",)].extensions
    assert outage is not None
    assert outage["code"] == "UPSTREAM_UNAVAILABLE"
    assert outage["retryAfterSeconds"] == 2.0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_syntax_error_is_the_clients_own() -> None:
    result = await schema.execute("{ broken ")
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}
