"""The HubSpot-compatible REST surface: HubSpot's Meetings v3 booking-page operations over the
same cached service as GraphQL, plus its OpenAPI document (``/openapi.json``) and ``/docs``.

==========================================================  ====================================
operation                                                   answers
==========================================================  ====================================
GET  /scheduler/v3/meetings/meeting-links                   200 list (ETag, Cache-Control) | 304
GET  .../meeting-links/book/availability-page/{slug}        200 month page | 304 | 404
GET  .../meeting-links/book/{slug}                          200 booking info | 304 | 404
POST .../meeting-links/book                                 200 booking | 400 404 409 422 502
==========================================================  ====================================

Refusals, all in HubSpot's error shape (``errors``):

=====  ================================================================================
400    bad parameter or body (VALIDATION_ERROR, ``errors[].in``/``code``), before any read;
       start time not offered (``MeetingsBookingSchedulingError.MEETING_START_TIME_NOT_VALID``);
       the link's rules refuse the booking; HubSpot's own 400 on a read
404    ``slug does not exist``
409    the Idempotency-Key's booking was sent and its answer has not come yet: retry with
       the same key (Retry-After)
422    the Idempotency-Key was used for another request
429    HubSpot's rate limit is spent (Retry-After)
502    HubSpot refused the gateway's credential or answered off-contract; or
       ``BOOKING_OUTCOME_UNKNOWN``: the booking was sent and its answer never came (never
       sent again under its Idempotency-Key)
503    HubSpot could not be reached, or the Idempotency-Key's record could not be kept
       (Redis unreachable): nothing was sent (Retry-After when known)
=====  ================================================================================
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from gateway.rest.endpoints import Endpoints, answering
from gateway.rest.openapi import AVAILABILITY, BOOK, BOOKING_INFO, LINKS, OpenApi
from gateway.settings import Settings

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def routes(settings: Settings) -> list[BaseRoute]:
    api = Endpoints(settings)
    docs = OpenApi(settings)
    # A slug may hold "/", so {slug:path}; availability-page goes first or book/{slug} would
    # take "availability-page/<slug>" as a slug.
    slug = "{slug:path}"
    # Every method reaches the handlers, which answer a wrong one with HubSpot's error shape.
    return [
        Route(LINKS, answering(api.list_links, "GET"), methods=METHODS),
        Route(BOOK, answering(api.book, "POST"), methods=METHODS),
        Route(
            AVAILABILITY.replace("{slug}", slug),
            answering(api.availability_page, "GET"),
            methods=METHODS,
        ),
        Route(
            BOOKING_INFO.replace("{slug}", slug),
            answering(api.booking_info, "GET"),
            methods=METHODS,
        ),
        Route("/openapi.json", docs.document, methods=["GET"]),
        Route("/docs", docs.docs, methods=["GET"]),
    ]


__all__ = ["routes"]
