"""The booking page (``/book/{slug}``) and the REST docs page (``/docs``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.serving import serving_of
from gateway.web.bundle import ANY_FRAME, shell

GRAPHQL = "/graphql"


async def booking_page(request: Request) -> Response:
    service = serving_of(request).service_for(request.scope)
    data = {
        "slug": request.path_params["slug"],
        "endpoint": GRAPHQL,
        # The page's clock: holds expire and windows start on the gateway's time, which a
        # visitor's device (or SANDBOX_NOW) may not share.
        "now": service.now().isoformat(),
    }
    return shell("book", "Book a meeting", data, policy=ANY_FRAME)


async def docs_page(request: Request) -> Response:
    return shell("docs", "meetings-gateway REST", {"document": "/openapi.json"})
