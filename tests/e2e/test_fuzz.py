"""Schemathesis fuzzes ``/graphql`` on the embedded sandbox: no generated operation may get a
server error (a 5xx, or INTERNAL_SERVER_ERROR in the body).

Schemathesis reads the schema by introspection and generates valid operations, arguments and
variables for every root field (``meetingLinks``, ``meetingLink``, ``node``, ``bookMeeting``);
the limits, the slug rules and the scalars see all of them. When the run is over, the
``figures`` fixture prints what it did (operations, statuses, error codes) and checks its size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from schemathesis.python import asgi
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.settings import Settings
from tests.support.harness import NOW

EXAMPLES_PER_ROOT_FIELD = 275
MIN_OPERATIONS = 1000
SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
START = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
# Real values most of the time, so operations reach links, months and bookings; anything at
# all otherwise, so the scalars' refusals are fuzzed too.
schemathesis.graphql.scalar(
    "TimeZone", st.one_of(st.sampled_from(ZONES), st.text(max_size=40)).map(nodes.String)
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(
        st.integers(min_value=-30 * 24, max_value=120 * 24).map(
            lambda hours: (START + timedelta(hours=hours)).astimezone(UTC).isoformat()
        ),
        st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
        st.text(max_size=40),
    ).map(nodes.String),
)


@dataclass
class Figures:
    operations: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def app() -> Starlette:
    # Room for the whole run in the upstream budget: the point is the answers, not the rate.
    return create_app(
        Settings.from_environ({"SANDBOX_NOW": NOW, "GATEWAY_UPSTREAM_RATE_LIMIT": "1000000"})
    )


@pytest.fixture(scope="module")
def client(app: Starlette) -> Iterator[Any]:
    """One client for the run, so the app's lifespan (and its caches) runs once."""
    with asgi.get_client(app) as session:  # type: ignore[arg-type]
        yield session


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """The whole run's figures, printed and checked once every operation has run."""
    run = Figures()
    yield run
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nGraphQL fuzz: {sum(run.operations.values())} operations "
            f"{dict(sorted(run.operations.items()))}; "
            f"statuses {dict(sorted(run.statuses.items()))}; "
            f"error codes {dict(run.codes.most_common())}"
        )
    assert sum(run.operations.values()) >= MIN_OPERATIONS
    assert set(run.statuses) <= {200, 400}


# The committed SDL (kept current by tests/graphql/test_schema.py): no app at collection.
SCHEMA = schemathesis.graphql.from_path(SDL)


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_ROOT_FIELD,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_operation_gets_a_server_error(
    case: schemathesis.Case[Any], client: Any, figures: Figures
) -> None:
    response = case.call(base_url="http://testserver/graphql", session=client)
    figures.operations[case.operation.label] += 1
    figures.statuses[response.status_code] += 1
    assert response.status_code < 500, response.text
    body = response.json() if response.status_code == 200 else {}
    codes = [
        str((error.get("extensions") or {}).get("code"))
        for error in body.get("errors") or []
        if isinstance(error, dict)
    ]
    figures.codes.update(codes)
    assert "INTERNAL_SERVER_ERROR" not in codes, response.text
