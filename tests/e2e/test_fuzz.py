"""Schemathesis fuzzes ``/graphql`` on the embedded sandbox: no generated operation may get a
server error (a 5xx, or INTERNAL_SERVER_ERROR in the body).

Schemathesis reads the schema by introspection and generates valid operations, arguments and
variables for every root field (``meetingLinks``, ``meetingLink``, ``node``, ``bookMeeting``);
the limits, the slug rules and the scalars see all of them. ``test_the_run_s_figures`` runs
last, prints what the run did (operations, statuses, error codes) and checks its size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from schemathesis.python import asgi

from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.harness import NOW

EXAMPLES_PER_ROOT_FIELD = 275
MIN_OPERATIONS = 1000

APP = create_app(
    Settings.from_environ(
        # Room for the whole run in the upstream budget: the point is the answers, not the rate.
        {"SANDBOX_NOW": NOW, "GATEWAY_UPSTREAM_RATE_LIMIT": "1000000"}
    )
)
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
SCHEMA = schemathesis.graphql.from_asgi("/graphql", APP)

OPERATIONS: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()
CODES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One client for the run, so the app's lifespan (and its caches) runs once."""
    with asgi.get_client(APP) as session:  # type: ignore[arg-type]
        yield session


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES_PER_ROOT_FIELD,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_operation_gets_a_server_error(case: schemathesis.Case[Any], client: Any) -> None:
    response = case.call(session=client)
    OPERATIONS[case.operation.label] += 1
    STATUSES[response.status_code] += 1
    assert response.status_code < 500, response.text
    body = response.json() if response.status_code == 200 else {}
    codes = [
        str((error.get("extensions") or {}).get("code"))
        for error in body.get("errors") or []
        if isinstance(error, dict)
    ]
    CODES.update(codes)
    assert "INTERNAL_SERVER_ERROR" not in codes, response.text


def test_the_run_s_figures(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(
            f"\nGraphQL fuzz: {sum(OPERATIONS.values())} operations "
            f"{dict(sorted(OPERATIONS.items()))}; statuses {dict(sorted(STATUSES.items()))}; "
            f"error codes {dict(CODES.most_common())}"
        )
    assert sum(OPERATIONS.values()) >= MIN_OPERATIONS
    assert set(STATUSES) <= {200, 400}
    assert "INTERNAL_SERVER_ERROR" not in CODES
