"""The HubSpot-compatible REST surface: HubSpot's Meetings booking-page operations over the
same cached service as GraphQL, plus its OpenAPI document (``/openapi.json``, which
``gateway.web`` renders at ``/docs``).

Every supported API version's paths are served (``/scheduler/v3/...``,
``/scheduler/2026-03/...``, ``/scheduler/2026-09/...``), the same way whatever version the
gateway itself calls HubSpot at, so a partner app moves its base path when it likes.

==========================================================  ====================================
operation                                                   answers
==========================================================  ====================================
GET  /scheduler/{version}/meetings/meeting-links            200 list (ETag, Cache-Control) | 304
GET  .../meeting-links/book/availability-page/{slug}        200 month page | 304 | 404
GET  .../meeting-links/book/{slug}                          200 booking info | 304 | 404
POST .../meeting-links/book                                 200 booking | 400 404 409 422 502
POST /webhooks/hubspot                                      204 | 400 401 404 413 (``webhooks``)
==========================================================  ====================================

Refusals, all in HubSpot's error shape (``errors``):

=====  ================================================================================
400    bad parameter or body (VALIDATION_ERROR, ``errors[].in``/``code``), before any read;
       start time not offered (``MeetingsBookingSchedulingError.MEETING_START_TIME_NOT_VALID``);
       the link's rules refuse the booking; HubSpot's own 400 on a read
401    the caller's own token is refused (pass-through mode; HubSpot's INVALID_AUTHENTICATION)
403    the caller's own token lacks a scope (pass-through mode; HubSpot's MISSING_SCOPES)
404    ``slug does not exist``; any other path under ``/scheduler/`` (OBJECT_NOT_FOUND)
405    a method the operation does not take (METHOD_NOT_ALLOWED)
409    the Idempotency-Key's booking was sent and its answer has not come yet: retry with
       the same key (Retry-After)
422    the Idempotency-Key was used for another request
429    HubSpot's rate limit is spent (Retry-After)
502    HubSpot refused the gateway's own credential or answered off-contract; or
       ``BOOKING_OUTCOME_UNKNOWN``: the booking was sent and its answer never came (never
       sent again under its Idempotency-Key)
503    HubSpot could not be reached, or the Idempotency-Key's record could not be kept
       (Redis unreachable): nothing was sent (Retry-After when known)
=====  ================================================================================
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from gateway.hubspot.paths import ALL_PATHS, ApiPaths
from gateway.rest.endpoints import Endpoints, answering, no_such_operation
from gateway.rest.openapi import OpenApi
from gateway.rest.webhooks import PATH as WEBHOOKS_PATH
from gateway.rest.webhooks import HubSpotWebhooks
from gateway.settings import Settings

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def routes(settings: Settings) -> list[BaseRoute]:
    api = Endpoints(settings)
    docs = OpenApi(settings)
    served = [route for paths in ALL_PATHS for route in _version_routes(api, paths, settings)]
    return [
        *served,
        # Last of the surface: every other path under it is HubSpot's 404, in its shape.
        Route("/scheduler{rest:path}", no_such_operation, methods=METHODS),
        Route("/openapi.json", docs.document, methods=["GET"]),
        Route(WEBHOOKS_PATH, HubSpotWebhooks(settings).endpoint, methods=["POST"]),
    ]


def _version_routes(api: Endpoints, paths: ApiPaths, settings: Settings) -> list[BaseRoute]:
    # A slug may hold "/", so {slug:path}; availability-page goes first or book/{slug} would
    # take "availability-page/<slug>" as a slug.
    slug = "{slug:path}"
    # Every method reaches the handlers, which answer a wrong one with HubSpot's error shape.
    return [
        Route(paths.links, answering(api.list_links, "GET", settings), methods=METHODS),
        Route(paths.book, answering(api.book, "POST", settings), methods=METHODS),
        Route(
            paths.availability.replace("{slug}", slug),
            answering(api.availability_page, "GET", settings),
            methods=METHODS,
        ),
        Route(
            paths.booking_info.replace("{slug}", slug),
            answering(api.booking_info, "GET", settings),
            methods=METHODS,
        ),
    ]


__all__ = ["routes"]
