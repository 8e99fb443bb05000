"""HTTP caching of the REST reads: ``Cache-Control``, a strong ``ETag``, and 304s.

The body is HubSpot's JSON as the service's read-through cache holds it, so the tag (a hash of
the body bytes) changes exactly when the cached data does, e.g. after a booking.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110's weak comparison, which is the one ``If-None-Match`` uses."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    given = (candidate.strip().removeprefix("W/") for candidate in if_none_match.split(","))
    return tag in given


def cached_json(request: Request, wire: Any, max_age: float, *, stale: bool = False) -> Response:
    """``wire`` as JSON, or a bodiless 304 when the client already holds this very body.

    A stale read (served while HubSpot is refreshed or unreachable) is not to be kept."""
    body = json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode()
    tag = entity_tag(body)
    seconds = 0 if stale else max(0, math.floor(max_age))
    headers = {"ETag": tag, "Cache-Control": f"private, max-age={seconds}"}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, 200, headers=headers, media_type="application/json")
