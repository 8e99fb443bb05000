"""The REST surface's OpenAPI 3.1 document (``gateway.web`` renders it at ``/docs``).

Paths (every supported API version's, from ``hubspot.paths``) and parameters are written here,
from what the endpoints accept; the component schemas
are HubSpot's own, shipped as ``schemas.json`` (its ``source`` names the spec and commit they
were copied from), so every body the surface returns is described by HubSpot's contract.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.hubspot.models import HUBSPOT_LINK_TYPES
from gateway.hubspot.paths import ALL_PATHS, ApiPaths
from gateway.rest.inputs import MAX_IDEMPOTENCY_KEY, MAX_MONTH_OFFSET
from gateway.settings import API_VERSIONS, Settings

LINK_TYPES = [kind.value for kind in HUBSPOT_LINK_TYPES]


@cache
def hubspot_schemas() -> dict[str, Any]:
    """``{"source": ..., "schemas": {name: schema}}`` as shipped with the package."""
    loaded: dict[str, Any] = json.loads(
        files("gateway.rest").joinpath("schemas.json").read_text(encoding="utf-8")
    )
    return loaded


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(
    schema_name: str, description: str, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


def _query(
    name: str, schema: dict[str, Any], description: str, *, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "The link's slug; a `/` inside it is sent percent-encoded (`%2F`).",
    "schema": {"type": "string", "minLength": 1},
}
TIMEZONE = _query(
    "timezone",
    {"type": "string", "examples": ["America/New_York", "Europe/Berlin", "UTC"]},
    "An IANA time zone name; abbreviations (EST) and offsets are refused.",
    required=True,
)
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An `ETag` from an earlier answer: an unchanged resource answers 304.",
    "schema": {"type": "string"},
}
CACHE_HEADERS = {
    "ETag": {"description": "A strong tag of the body.", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "`private, max-age=<seconds>` (0 when the data is stale).",
        "schema": {"type": "string"},
    },
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait, when known.", "schema": {"type": "string"}}
}


def _read_responses(schema_name: str) -> dict[str, Any]:
    return {
        "200": _json(schema_name, "successful operation", CACHE_HEADERS),
        "304": {"description": "Not modified: the `If-None-Match` tag is current."},
        "400": _error("A parameter is missing or invalid (VALIDATION_ERROR); nothing was read."),
        "404": _error("slug does not exist"),
        **_upstream_responses(),
    }


def _upstream_responses() -> dict[str, Any]:
    return {
        "429": {**_error("HubSpot's rate limit is spent (RATE_LIMITS)."), "headers": RETRY_AFTER},
        "502": _error("HubSpot refused the gateway or answered off-contract."),
        "503": {**_error("HubSpot could not be reached."), "headers": RETRY_AFTER},
        "default": _error("Any other error, in HubSpot's error shape."),
    }


def document(settings: Settings) -> dict[str, Any]:
    shipped = hubspot_schemas()
    source = shipped["source"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "meetings-gateway: HubSpot Meetings compatible REST",
            "version": API_VERSIONS[-1],
            "description": (
                "HubSpot's Meetings (scheduler) booking-page operations, served from the "
                "gateway's cache at the paths of every API version it supports "
                f"({', '.join(API_VERSIONS)}), whichever version the gateway calls HubSpot at. "
                "Bodies, parameters and errors are HubSpot's; every version shares the same "
                "schemas. Component schemas are copied from "
                f"{source['repository']} `{source['path']}` at {source['commit']}."
            ),
        },
        "paths": {
            path: item for paths in ALL_PATHS for path, item in _version_paths(paths, settings)
        },
        "components": {"schemas": shipped["schemas"]},
    }


def _operation_id(name: str, paths: ApiPaths) -> str:
    # The first version's (v3's) ids stay as clients generated code from them; a date
    # version's carry it, so every id is unique.
    if paths.version == API_VERSIONS[0]:
        return name
    return f"{name}_{paths.version.replace('-', '_')}"


def _version_paths(paths: ApiPaths, settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    tag = [f"HubSpot API {paths.version}"]
    return [
        (
            paths.links,
            {
                "get": {
                    "operationId": _operation_id("listMeetingLinks", paths),
                    "tags": tag,
                    "summary": "Get meeting scheduling pages",
                    "parameters": [
                        _query(
                            "limit",
                            {"type": "integer", "minimum": 1, "maximum": settings.max_page_size},
                            "The maximum number of results per page (default 10).",
                        ),
                        _query(
                            "after",
                            {"type": "string"},
                            "The paging cursor: `paging.next.after` of the previous page.",
                        ),
                        _query("name", {"type": "string"}, "Only links whose name holds this."),
                        _query("organizerUserId", {"type": "string"}, "Only this organizer's."),
                        _query("type", {"type": "string", "enum": LINK_TYPES}, "Only this type."),
                        IF_NONE_MATCH,
                    ],
                    "responses": _read_responses("CollectionResponseWithTotalExternalLinkMetadata"),
                }
            },
        ),
        (
            paths.availability,
            {
                "get": {
                    "operationId": _operation_id("getAvailabilityPage", paths),
                    "tags": tag,
                    "summary": "Get the availability for a meeting",
                    "description": "One calendar month of offered times, in `timezone`.",
                    "parameters": [
                        SLUG,
                        TIMEZONE,
                        _query(
                            "monthOffset",
                            {"type": "integer", "minimum": 0, "maximum": MAX_MONTH_OFFSET},
                            "Months after the current one (default 0).",
                        ),
                        IF_NONE_MATCH,
                    ],
                    "responses": _read_responses("ExternalLinkAvailabilityAndBusyTimes"),
                }
            },
        ),
        (
            paths.booking_info,
            {
                "get": {
                    "operationId": _operation_id("getBookingInfo", paths),
                    "tags": tag,
                    "summary": "List booking information",
                    "parameters": [SLUG, TIMEZONE, IF_NONE_MATCH],
                    "responses": _read_responses("ExternalBookingInfo"),
                }
            },
        ),
        (paths.book, {"post": _book_operation(paths, tag)}),
    ]


def _book_operation(paths: ApiPaths, tag: list[str]) -> dict[str, Any]:
    return {
        "operationId": _operation_id("bookMeeting", paths),
        "tags": tag,
        "summary": "Book a meeting",
        "description": (
            "`startTime` may also be epoch milliseconds; `duration` is "
            "milliseconds. A retry with the same `Idempotency-Key` gets the first "
            "answer and books nothing more: while the first is still in flight it "
            "waits for it, then answers 409; a booking whose answer never came "
            "answers 502 `BOOKING_OUTCOME_UNKNOWN` to every retry and is never sent "
            "again."
        ),
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Makes retries safe; kept for 24 hours.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_IDEMPOTENCY_KEY,
                },
            },
            _query(
                "timezone",
                {"type": "string"},
                "The booker's zone when the body has no `timezone`.",
            ),
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("ExternalMeetingBooking")}},
        },
        "responses": {
            "200": _json("ExternalMeetingBookingResponse", "successful operation"),
            "400": _error(
                "Invalid input (VALIDATION_ERROR), or the start time is not offered "
                "(MeetingsBookingSchedulingError.MEETING_START_TIME_NOT_VALID)."
            ),
            "404": _error("slug does not exist"),
            "409": {
                **_error(
                    "The booking with this Idempotency-Key was sent and its answer "
                    "has not come yet: retry with the same key after Retry-After."
                ),
                "headers": RETRY_AFTER,
            },
            "422": _error("This Idempotency-Key was used for another request."),
            **_upstream_responses(),
            "502": _error(
                "HubSpot refused the gateway or answered off-contract; or "
                "(BOOKING_OUTCOME_UNKNOWN) the booking was sent and HubSpot's answer "
                "never came: it is not sent again under this Idempotency-Key."
            ),
            "503": {
                **_error(
                    "HubSpot could not be reached, or the Idempotency-Key's record "
                    "could not be kept: the booking was not sent; retry."
                ),
                "headers": RETRY_AFTER,
            },
        },
    }


class OpenApi:
    def __init__(self, settings: Settings) -> None:
        self.body = document(settings)

    async def document(self, request: Request) -> Response:
        return JSONResponse(self.body)
