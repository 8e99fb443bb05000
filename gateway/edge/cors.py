"""Cross-origin rules for browsers: Starlette's CORS, applied by the edge's one layer.

    cors = CrossOrigin(settings.cors_origins)
    cors.preflight(scope)             # the answer to a browser's preflight, or None
    cors.answered(origin, headers)    # every other answer's headers, with the CORS ones

Starlette's ``CORSMiddleware`` holds the rules (which origins, methods and headers, what is
exposed, ``Vary: Origin``) and answers preflights; the headers it adds to every other answer
are added here, on the raw header list the edge's one status capture passes by (a test holds
them equal to the middleware's), rather than by a layer of its own around every answer.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.edge.status import RawHeaders

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


_VARY = b"vary"
_ALLOW_ORIGIN = b"access-control-allow-origin"


def _set(headers: RawHeaders, name: bytes, value: bytes) -> None:
    """As Starlette's ``MutableHeaders`` sets a header: in place of the first, others gone."""
    found = [index for index, (key, _) in enumerate(headers) if key == name]
    for index in reversed(found[1:]):
        del headers[index]
    if found:
        headers[found[0]] = (name, value)
    else:
        headers.append((name, value))


def _add_vary(headers: RawHeaders, value: bytes) -> None:
    """``value`` added to ``Vary`` after what the answer has there (one header); a header list
    without one, the usual answer, gets it appended without a second pass."""
    for name, _ in headers:
        if name == _VARY:
            present = [found for key, found in headers if key == _VARY]
            _set(headers, _VARY, b", ".join([*present, value]))
            return
    headers.append((_VARY, value))


class CrossOrigin:
    def __init__(self, origins: tuple[str, ...]) -> None:
        self._rules = CORSMiddleware(
            _no_app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
        )
        self._simple = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in self._rules.simple_headers.items()
        ]

    def preflight(self, scope: Scope) -> Response | None:
        if scope["method"] != "OPTIONS":
            return None
        headers = Headers(scope=scope)
        if "origin" not in headers or "access-control-request-method" not in headers:
            return None
        return self._rules.preflight_response(request_headers=headers)

    def answered(self, origin: str | None, headers: RawHeaders) -> RawHeaders:
        """An answer's headers with what the rules add to them for a request from ``origin``
        (the same headers, in the same order, as Starlette's middleware writes)."""
        if origin is not None:
            for name, value in self._simple:
                _set(headers, name, value)
            if not self._rules.allow_all_origins and self._rules.is_allowed_origin(origin):
                _set(headers, _ALLOW_ORIGIN, origin.encode("latin-1"))
        _add_vary(headers, b"Origin")
        return headers
