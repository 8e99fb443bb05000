"""The REST surface's own OpenAPI document: HubSpot's schemas, served, and kept by the gateway,
at every supported API version's paths.

Schemathesis drives the document the gateway serves at ``/openapi.json`` against the gateway
(on its embedded sandbox, lifespan and all), one API version's paths at a time, each checked
against that version's own HubSpot spec. Slug and time zone parameters are widened so that
generated values are real fixture values or anything at all: positive cases then reach real
bookings and month pages, not only the 400s and 404s.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from schemathesis.core.result import Ok
from schemathesis.python import asgi

from gateway.app import create_app
from gateway.rest.openapi import document
from gateway.sandbox.fixtures import load_fixtures
from gateway.settings import API_VERSIONS, Settings
from tests.contract.hubspot_spec import spec
from tests.contract.widened import ZONES, conformance_test, real_or_any
from tests.rest.api import BOOK, booking_body
from tests.support.harness import NOW, Gateway


def operations(version: str) -> set[tuple[str, str]]:
    root = f"/scheduler/{version}/meetings/meeting-links"
    return {
        ("GET", root),
        ("POST", f"{root}/book"),
        ("GET", f"{root}/book/availability-page/{{slug}}"),
        ("GET", f"{root}/book/{{slug}}"),
    }


OPERATIONS = {operation for version in API_VERSIONS for operation in operations(version)}


def without_examples(node: Any, in_properties: bool = False) -> Any:
    """HubSpot's schema minus its ``example`` keywords (property names are kept)."""
    if isinstance(node, dict):
        if in_properties:
            return {name: without_examples(value) for name, value in node.items()}
        return {
            key: without_examples(value, key == "properties")
            for key, value in node.items()
            if key != "example"
        }
    if isinstance(node, list):
        return [without_examples(item) for item in node]
    return node


async def test_the_document_is_openapi_31_with_hubspots_own_schemas(gateway: Gateway) -> None:
    document = (await gateway.http.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert operations == OPERATIONS
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)) == 4 * len(API_VERSIONS)
    # v3's operation ids are the ones clients generated code from before the date versions.
    v3 = document["paths"]["/scheduler/v3/meetings/meeting-links"]["get"]["operationId"]
    assert v3 == "listMeetingLinks"
    hubspot = spec()["components"]["schemas"]
    for name, schema in document["components"]["schemas"].items():
        assert schema == without_examples(hubspot[name]), name
    referenced = str(document["paths"])
    for name in (
        "CollectionResponseWithTotalExternalLinkMetadata",
        "ExternalBookingInfo",
        "ExternalLinkAvailabilityAndBusyTimes",
        "ExternalMeetingBooking",
        "ExternalMeetingBookingResponse",
        "Error",
    ):
        assert f"#/components/schemas/{name}" in referenced


def widened(
    document: dict[str, Any], booking_example: dict[str, Any], version: str
) -> dict[str, Any]:
    """One version's paths of the served document, with that version's HubSpot schemas (so
    responses are checked against its own spec), parameters widened as above."""
    document = copy.deepcopy(document)
    document["paths"] = {
        path: item
        for path, item in document["paths"].items()
        if path.startswith(f"/scheduler/{version}/")
    }
    document["components"] = {
        "schemas": {
            name: without_examples(schema)
            for name, schema in spec(version)["components"]["schemas"].items()
        }
    }
    slugs = sorted(load_fixtures().by_slug)
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "slug":
                    parameter["schema"] = real_or_any(slugs, parameter["schema"])
                elif parameter["name"] == "timezone":
                    parameter["schema"] = real_or_any(ZONES, {"type": "string"})
    booking = document["components"]["schemas"]["ExternalMeetingBooking"]["properties"]
    booking["slug"] = real_or_any(slugs, {"type": "string"})
    booking["timezone"] = real_or_any(ZONES, {"type": "string"})
    booking["duration"] = real_or_any([900_000, 1_800_000, 3_600_000], {"type": "integer"})
    # Random bookings almost never name an offered slot; this one does, so a booking goes through.
    book = document["paths"][f"/scheduler/{version}/meetings/meeting-links/book"]["post"]
    book["requestBody"]["content"]["application/json"]["examples"] = {
        "offered": {"value": booking_example}
    }
    return document


# Mel's first offered half hour at the harness's NOW (checked below): random bookings almost
# never name an offered slot, and this one makes a booking go through.
OFFERED = booking_body("mel-nelson", "2026-03-02T15:00:00+00:00", 1_800_000)
# The document the gateway serves (``OpenApi`` serves exactly this; checked over HTTP above).
SCHEMAS = {
    version: schemathesis.openapi.from_dict(widened(document(Settings()), OFFERED, version))
    for version in API_VERSIONS
}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One gateway for the run, with its lifespan, built when the tests run."""
    with asgi.get_client(create_app(Settings.from_environ({"SANDBOX_NOW": NOW}))) as session:  # type: ignore[arg-type]
        yield session


async def test_the_booking_example_is_the_first_offered_slot(gateway: Gateway) -> None:
    page = await gateway.sandbox.get(
        f"{BOOK}/availability-page/mel-nelson", params={"timezone": "UTC"}
    )
    offered = page.json()["linkAvailability"]["linkAvailabilityByDuration"]["1800000"]
    first = datetime.fromtimestamp(offered["availabilities"][0]["startMillisUtc"] / 1000, UTC)
    assert first.isoformat() == OFFERED["startTime"]


def document_test(version: str, examples: int) -> Callable[..., None]:
    return conformance_test(SCHEMAS[version], examples)


# One set of handlers serves every version's paths, so the date versions get fewer examples.
test_the_gateway_keeps_its_own_document_at_v3 = document_test("v3", 40)
test_the_gateway_keeps_its_own_document_at_2026_03 = document_test("2026-03", 20)
test_the_gateway_keeps_its_own_document_at_2026_09 = document_test("2026-09", 20)


def test_every_supported_version_has_its_document_test() -> None:
    for version in API_VERSIONS:
        name = f"test_the_gateway_keeps_its_own_document_at_{version.replace('-', '_')}"
        assert name in globals(), f"add {name} for {version}"


@pytest.mark.parametrize("version", API_VERSIONS)
def test_schemathesis_covers_the_four_operations(version: str) -> None:
    found = set()
    for result in SCHEMAS[version].get_all_operations():
        assert isinstance(result, Ok)
        found.add((result.ok().method.upper(), result.ok().path))
    assert found == operations(version)
