"""Conditional requests: a strong ``ETag`` from the body's bytes, and the 304 that answers an
``If-None-Match`` naming it. The REST reads and GraphQL's GET answers both use these.

    tag = entity_tag(body)
    conditional(request.headers.get("if-none-match"), body, {"Cache-Control": ...})
"""

from __future__ import annotations

import hashlib

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


def conditional(if_none_match: str | None, body: bytes, headers: dict[str, str]) -> Response:
    """``body`` as JSON with its ``ETag`` and ``headers``, or a bodiless 304 carrying the same
    headers when the client already holds this very body."""
    tag = entity_tag(body)
    headers = {**headers, "ETag": tag}
    if matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, 200, headers=headers, media_type="application/json")
