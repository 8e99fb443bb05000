"""Which slugs a client may name, one rule for GraphQL and REST.

A slug travels into an upstream path (percent-quoted as one segment, see
``hubspot/client.py``), into cache keys and into logs. HubSpot's own slugs are letters, digits,
dots, dashes and underscores, in segments joined by ``/`` (team links); nothing else is ever
needed, so anything else is refused before any read: ``..`` segments, percent signs (so no
``%2F..`` survives a second decoding), backslashes, control characters, empty segments and
overlong names.
"""

from __future__ import annotations

import re

from gateway.errors import InputError

MAX_SLUG = 200

_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


def slug_problem(slug: object) -> str | None:
    """Why ``slug`` is refused, or None when it may be used."""
    if not isinstance(slug, str) or not slug:
        return "slug is required"
    if len(slug) > MAX_SLUG:
        return f"slug is longer than {MAX_SLUG} characters"
    segments = slug.split("/")
    # A segment may not start with a dot, so "." and ".." (and hidden names) never pass.
    if not all(_SEGMENT.fullmatch(segment) for segment in segments):
        return "slug may hold only letters, digits, '.', '_', '~' and '-', in '/'-separated parts"
    return None


def check_slug(slug: str, field: str = "slug") -> str:
    """``slug`` itself, or ``InputError`` (code ``INVALID_SLUG``) naming ``field``."""
    problem = slug_problem(slug)
    if problem is not None:
        raise InputError(field, "INVALID_SLUG", problem)
    return slug
