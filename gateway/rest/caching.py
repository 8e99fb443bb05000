"""HTTP caching of the REST reads: ``Cache-Control``, a strong ``ETag``, and 304s.

The body is HubSpot's JSON as the service's read-through cache holds it, so the tag (a hash of
the body bytes, ``gateway.edge.conditional``) changes exactly when the cached data does, e.g.
after a booking.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.edge.conditional import conditional


def cached_json(request: Request, wire: Any, max_age: float, *, stale: bool = False) -> Response:
    """``wire`` as JSON, or a bodiless 304 when the client already holds this very body.

    A stale read (served while HubSpot is refreshed or unreachable) is not to be kept."""
    body = json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode()
    seconds = 0 if stale else max(0, math.floor(max_age))
    headers = {"Cache-Control": f"private, max-age={seconds}"}
    return conditional(request.headers.get("if-none-match"), body, headers)
