"""The four HubSpot Meetings booking-page operations, served over the service's cached reads
at every API version's paths.

GETs answer HubSpot's JSON exactly as the read-through cache holds it (``.wire``), less the
slots live holds take (the availability page's and the booking info's first month), with
``Cache-Control`` and an ``ETag``; the booking answers the upstream booking response, or the
refusal HubSpot would give (see ``errors``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.edge.refusal import CORRELATION_HEADER
from gateway.errors import (
    IdempotencyConflict,
    IdempotencyInProgress,
    UpstreamError,
    UpstreamNotFound,
)
from gateway.meetings.booking import BookingConfirmed, BookingNotSent
from gateway.meetings.service import MeetingsService
from gateway.rest import inputs
from gateway.rest.caching import cached_json
from gateway.rest.errors import (
    IDEMPOTENCY_HEADER,
    OBJECT_NOT_FOUND,
    ErrorAnswer,
    from_idempotency,
    from_outcome,
    from_upstream,
    slug_not_found,
)
from gateway.serving import serving_of
from gateway.settings import Settings

log = logging.getLogger("gateway.rest")

# HubSpot's usual default (undocumented for this API; the sandbox uses it too).
DEFAULT_LIMIT = 10

Endpoint = Callable[[Request], Awaitable[Response]]


def answering(handler: Endpoint, method: str, settings: Settings) -> Endpoint:
    """Render every refusal HubSpot-style, a wrong method too; mask anything unexpected (the
    log has the rest)."""
    allowed = {method, "HEAD"} if method == "GET" else {method}

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            if request.method not in allowed:
                raise ErrorAnswer(
                    405,
                    f"{request.method} is not allowed here",
                    "METHOD_NOT_ALLOWED",
                    headers={"Allow": ", ".join(sorted(allowed))},
                )
            return await handler(request)
        except ErrorAnswer as answer:
            return answer.response()
        except UpstreamError as exc:
            return _upstream_refusal(request, exc, settings)
        except (IdempotencyConflict, IdempotencyInProgress) as exc:
            return from_idempotency(exc).response()
        except Exception:
            response = ErrorAnswer(500, "internal error", "INTERNAL_ERROR").response()
            log.exception(
                "REST %s %s failed; correlationId=%s",
                request.method,
                request.url.path,
                response.headers[CORRELATION_HEADER],
            )
            return response

    return endpoint


def _upstream_refusal(request: Request, exc: UpstreamError, settings: Settings) -> Response:
    response = from_upstream(
        exc,
        # In pass-through mode every call of this surface carries the caller's own token.
        callers_credential=settings.pass_through_auth,
        production=settings.production,
    ).response()
    log.warning(
        "REST %s %s: upstream %s %s; correlationId=%s",
        request.method,
        request.url.path,
        exc.code,
        exc.message,
        response.headers[CORRELATION_HEADER],
    )
    return response


async def no_such_operation(request: Request) -> Response:
    """Any other path under the REST surface: HubSpot's 404, not a bare "Not Found"."""
    message = f"No operation matches {request.method} {request.url.path}"
    return ErrorAnswer(404, message, OBJECT_NOT_FOUND).response()


def service_of(request: Request) -> MeetingsService:
    # The caller's tenant's service in pass-through mode, as GraphQL finds it.
    return serving_of(request).service_for(request.scope)


async def unheld(
    service: MeetingsService, slug: str, wire: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """``wire`` (an availability page, or a booking info, which embeds the first month's)
    without the slots live holds take, and whether any did. Held slots go at read time: the
    cached page is every client's. One with holds applied is not kept downstream (answered as
    stale): a hold ends on its own."""
    unheld_wire = await service.holds.unheld_wire(await service.link(slug), wire)
    return unheld_wire, unheld_wire is not wire


def with_own_next_link(
    request: Request, wire: dict[str, Any], public_url: str | None
) -> dict[str, Any]:
    """The page with ``paging.next.link`` pointing at this gateway, not at the upstream: a
    partner app that follows it must come back through the gateway (and never learn the
    upstream's address), at the API version path it called, whatever version the upstream
    is called at. The link is absolute under ``public_url`` (``GATEWAY_PUBLIC_URL``), else
    relative: the request's ``Host`` is the client's to choose, not the gateway's name."""
    following = wire.get("paging", {}).get("next")
    if not isinstance(following, dict) or "after" not in following:
        return wire
    query = request.url.include_query_params(after=following["after"]).query
    link = f"{public_url or ''}{request.url.path}?{query}"
    return {**wire, "paging": {**wire["paging"], "next": {**following, "link": link}}}


class Endpoints:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def list_links(self, request: Request) -> Response:
        query = request.query_params
        limit = inputs.integer(
            query.get("limit"),
            "limit",
            default=min(DEFAULT_LIMIT, self.settings.max_page_size),
            minimum=1,
            maximum=self.settings.max_page_size,
        )
        page = await service_of(request).links_page(
            limit=limit,
            # An empty cursor is no cursor, not a bad one.
            after=inputs.text(query.get("after"), "after") or None,
            name=inputs.text(query.get("name"), "name"),
            link_type=inputs.link_type(query.get("type")),
            organizer_user_id=inputs.text(query.get("organizerUserId"), "organizerUserId"),
        )
        wire = with_own_next_link(request, page.value.wire, self.settings.public_url)
        return cached_json(request, wire, self.settings.links_ttl)

    async def booking_info(self, request: Request) -> Response:
        zone = inputs.time_zone(request.query_params.get("timezone"))
        slug = inputs.slug(request.path_params["slug"])
        service = service_of(request)
        view = await service.booking_info(slug, zone)
        if view is None:
            raise slug_not_found(slug)
        # Its first month's slots are the availability page's: holds take theirs from both.
        wire, held = await unheld(service, slug, view.info.wire)
        fresh_for = self.settings.booking_info_fresh_for
        return cached_json(request, wire, fresh_for, stale=view.stale or held)

    async def availability_page(self, request: Request) -> Response:
        query = request.query_params
        zone = inputs.time_zone(query.get("timezone"))
        month_offset = inputs.integer(
            query.get("monthOffset"),
            "monthOffset",
            default=0,
            minimum=0,
            maximum=inputs.MAX_MONTH_OFFSET,
        )
        slug = inputs.slug(request.path_params["slug"])
        service = service_of(request)
        try:
            page = await service.availability_page(slug, month_offset, zone=zone)
        except UpstreamNotFound:
            raise slug_not_found(slug) from None
        wire, held = await unheld(service, slug, page.value.wire)
        return cached_json(request, wire, self.settings.availability_ttl, stale=page.stale or held)

    async def book(self, request: Request) -> Response:
        command = inputs.booking_command(
            await request.body(),
            request.query_params.get("timezone"),
            inputs.idempotency_key(request.headers.get(IDEMPOTENCY_HEADER)),
        )
        outcome = await service_of(request).book(command)
        if isinstance(outcome, BookingConfirmed):
            # A booking is never served from a cache, nor kept in one downstream.
            return JSONResponse(outcome.response.wire, headers={"Cache-Control": "no-store"})
        refusal = from_outcome(outcome, production=self.settings.production).response()
        if isinstance(outcome, BookingNotSent):
            log.warning(
                "REST booking on %s: upstream unavailable: %s; correlationId=%s",
                command.slug,
                outcome.message,
                refusal.headers[CORRELATION_HEADER],
            )
        return refusal
