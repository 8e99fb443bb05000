"""Schemathesis drives HubSpot's own spec against the sandbox: no 5xx, no off-spec response.

The four operations the sandbox serves are kept; slug, timezone and booking-body parameters
are widened so generated values are either real fixture values or anything at all, which lets
positive cases reach the code behind the 404s and 400s.
"""

from __future__ import annotations

import copy
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.sandbox.fixtures import load_fixtures
from tests.contract.hubspot_spec import spec
from tests.sandbox.client import NOW

OPERATIONS = {
    "/scheduler/v3/meetings/meeting-links": "get",
    "/scheduler/v3/meetings/meeting-links/book": "post",
    "/scheduler/v3/meetings/meeting-links/book/availability-page/{slug}": "get",
    "/scheduler/v3/meetings/meeting-links/book/{slug}": "get",
}
ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC", "Australia/Lord_Howe"]


def real_or_any(values: list[Any], schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{**schema, "enum": values}, schema]}


def contract() -> dict[str, Any]:
    document = copy.deepcopy(spec())
    document["paths"] = {
        path: {method: document["paths"][path][method]} for path, method in OPERATIONS.items()
    }
    slugs = [link.slug for link in load_fixtures().links[:10]]
    for path, methods in document["paths"].items():
        for parameter in methods[OPERATIONS[path]].get("parameters", []):
            if parameter["name"] == "slug":
                parameter["schema"] = real_or_any(slugs, {"type": "string"})
            elif parameter["name"] == "timezone":
                parameter["schema"] = real_or_any(ZONES, {"type": "string"})
            elif parameter["name"] == "monthOffset":
                parameter["schema"] = real_or_any([0, 1, 2], {"type": "integer", "format": "int32"})
    # Positive bookings use real values, so some succeed; negative ones still vary them all.
    booking = document["components"]["schemas"]["ExternalMeetingBooking"]["properties"]
    booking["slug"] = {"type": "string", "enum": ["mel-nelson"]}
    booking["timezone"] = {"type": "string", "enum": ZONES}
    booking["duration"] = {"type": "integer", "format": "int64", "enum": [1_800_000]}
    booking["email"] = {"type": "string", "enum": ["alex.morgan@northwind.io"]}
    # Mel's first offered half hours at NOW.
    starts = ["2026-11-24T14:00:00Z", "2026-11-24T14:15:00Z", "2026-11-24T14:30:00Z"]
    booking["startTime"] = {"type": "string", "format": "date-time", "enum": starts}
    return document


APP = create_sandbox_app(SandboxConfig(now=NOW, seed=11))
SCHEMA = schemathesis.openapi.from_dict(contract())
SCHEMA.app = APP


@SCHEMA.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_sandbox_keeps_hubspots_contract(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])


def test_the_contract_covers_the_four_operations() -> None:
    operations = []
    for result in SCHEMA.get_all_operations():
        assert isinstance(result, Ok)
        operations.append(f"{result.ok().method.upper()} {result.ok().path}")
    assert sorted(operations) == sorted(
        f"{method.upper()} {path}" for path, method in OPERATIONS.items()
    )


def test_zz_debug() -> None:
    print(APP.state.store.calls)
