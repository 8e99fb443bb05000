"""HubSpot's spec of one API version, narrowed to the four operations the gateway and the
sandbox serve, with slug, zone and booking-body values widened to real fixture values or
anything at all (so that positive cases reach the code behind the 404s and 400s)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.sandbox.fixtures import load_fixtures
from tests.contract.hubspot_spec import spec

# Where schemathesis's cases go: the test client of the app under test.
BASE_URL = "http://testserver"


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


def conformance_test(schema: BaseSchema, examples: int) -> Callable[..., None]:
    """A schemathesis test of ``schema``'s operations against the module's ``client`` fixture:
    no server error, no answer off the spec."""

    @schema.parametrize()
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: schemathesis.Case[Any], client: Any) -> None:
        case.call_and_validate(
            session=client,
            base_url=BASE_URL,
            checks=[not_a_server_error, response_schema_conformance],
        )

    runner: Callable[..., None] = test
    return runner
