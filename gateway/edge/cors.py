"""Cross-origin rules for browsers: Starlette's CORS, applied by the edge's one layer.

    cors = CrossOrigin(settings.cors_origins)
    cors.preflight(scope)        # the answer to a browser's preflight, or None
    cors.sender(scope, send)     # a send that adds the CORS headers to every other answer

Starlette's ``CORSMiddleware`` holds the rules (which origins, methods and headers, what is
exposed, ``Vary: Origin``); the edge asks it for them inside its own layer rather than running
it as a layer of its own, so that every answer (the edge's refusals included) carries them.
"""

from __future__ import annotations

import functools

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

# What a browser may send and read: the credentials and the headers the surfaces answer by.
ALLOWED_HEADERS = [
    "content-type",
    "authorization",
    "x-request-id",
    "idempotency-key",
    "if-none-match",
    "x-api-key",
]
EXPOSED_HEADERS = ["etag", "retry-after", "x-request-id"]


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("the CORS rules are asked, never run as a layer")


class CrossOrigin:
    def __init__(self, origins: tuple[str, ...]) -> None:
        self._rules = CORSMiddleware(
            _no_app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
        )

    def preflight(self, scope: Scope) -> Response | None:
        if scope["method"] != "OPTIONS":
            return None
        headers = Headers(scope=scope)
        if "origin" not in headers or "access-control-request-method" not in headers:
            return None
        return self._rules.preflight_response(request_headers=headers)

    def sender(self, scope: Scope, send: Send) -> Send:
        return functools.partial(self._rules.send, send=send, request_headers=Headers(scope=scope))
