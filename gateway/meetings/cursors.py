"""Relay cursors over HubSpot's link pages: an opaque token for "HubSpot's ``after``, then
skip this many links", so a page of any size can start anywhere in HubSpot's pages of 100."""

from __future__ import annotations

import base64
import binascii
import json

from gateway.errors import InputError

# The largest page of links HubSpot serves.
UPSTREAM_PAGE_LIMIT = 100


def encode_cursor(upstream_after: str | None, skip: int) -> str:
    raw = json.dumps([upstream_after, skip], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[str | None, int]:
    try:
        upstream_after, skip = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InputError("after", "INVALID_CURSOR", "after is not a cursor of this API") from exc
    if (
        not (upstream_after is None or isinstance(upstream_after, str))
        or not isinstance(skip, int)
        or not 0 <= skip <= UPSTREAM_PAGE_LIMIT
    ):
        raise InputError("after", "INVALID_CURSOR", "after is not a cursor of this API")
    return upstream_after, skip
