"""Schemathesis drives HubSpot's own spec of every supported API version against the sandbox:
no 5xx, no response off that version's spec.

The four operations the sandbox serves are kept; slug, timezone and booking-body parameters
are widened so generated values are either real fixture values or anything at all, which lets
positive cases reach the code behind the 404s and 400s.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.sandbox.app import API_VERSIONS as SANDBOX_VERSIONS
from gateway.sandbox.fixtures import load_fixtures
from gateway.settings import API_VERSIONS
from tests.contract.hubspot_spec import spec
from tests.sandbox.client import NOW

# The sandbox's own list of versions, which must be the gateway's.
VERSIONS = API_VERSIONS


def operations(version: str) -> dict[str, str]:
    root = f"/scheduler/{version}/meetings/meeting-links"
    return {
        root: "get",
        f"{root}/book": "post",
        f"{root}/book/availability-page/{{slug}}": "get",
        f"{root}/book/{{slug}}": "get",
    }


ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC", "Australia/Lord_Howe"]


def real_or_any(values: list[Any], schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [{**schema, "enum": values}, schema]}


def contract(version: str) -> dict[str, Any]:
    document = copy.deepcopy(spec(version))
    served = operations(version)
    document["paths"] = {
        path: {method: document["paths"][path][method]} for path, method in served.items()
    }
    slugs = [link.slug for link in load_fixtures().links[:10]]
    for path, methods in document["paths"].items():
        for parameter in methods[served[path]].get("parameters", []):
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
SCHEMAS = {version: schemathesis.openapi.from_dict(contract(version)) for version in VERSIONS}
for _schema in SCHEMAS.values():
    _schema.app = APP


def contract_test(version: str, examples: int) -> Callable[..., None]:
    @SCHEMAS[version].parametrize()
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

    runner: Callable[..., None] = test
    return runner


# The versions share one implementation, so the date versions get fewer examples each.
test_the_sandbox_keeps_hubspots_v3_contract = contract_test("v3", 50)
test_the_sandbox_keeps_hubspots_2026_03_contract = contract_test("2026-03", 30)
test_the_sandbox_keeps_hubspots_2026_09_contract = contract_test("2026-09", 30)


def test_every_supported_version_has_its_contract_test() -> None:
    for version in API_VERSIONS:
        name = f"test_the_sandbox_keeps_hubspots_{version.replace('-', '_')}_contract"
        assert name in globals(), f"add {name} for {version}"


def test_the_sandbox_serves_every_version_the_gateway_supports() -> None:
    assert SANDBOX_VERSIONS == API_VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_the_contract_covers_the_four_operations(version: str) -> None:
    found = []
    for result in SCHEMAS[version].get_all_operations():
        assert isinstance(result, Ok)
        found.append(f"{result.ok().method.upper()} {result.ok().path}")
    assert sorted(found) == sorted(
        f"{method.upper()} {path}" for path, method in operations(version).items()
    )
