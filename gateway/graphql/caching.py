"""HTTP caching of GraphQL's GET answers: ``Cache-Control``, a strong ``ETag``, and 304s.

A query sent with GET carries its whole request in its URL, so a browser or a CDN may keep the
answer under it. Only an answer the gateway would keep itself is offered to them: a 200 with
no error, built on no stale read and hiding no held slot (``noted`` marks every other executed
answer ``no-store``); refusals, mutations and anything not executed are ``no-store`` too.

- Scope: ``public`` only when every caller gets the same answer for the same URL, i.e. with
  neither API keys (a shared cache would hand the answer to a caller without one) nor
  pass-through tokens (each tenant reads its own portal); else ``private``.
- ``max-age``: the TTL of the shortest-lived data the document selects: availability
  (``availability``, ``nextAvailableSlot``, ``earliestSlot``, which read the booking info as
  well), the booking info (``bookingInfo``), else the meeting links.
- ``Vary``: ``Accept`` (the same path is GraphiQL for a browser and may stream events), and
  the credential headers when there are credentials.
- ``ETag``: a hash of the body's bytes (``gateway.edge.conditional``, as the REST reads), so an
  ``If-None-Match`` naming it gets a bodiless 304 with the same headers.
"""

from __future__ import annotations

import math
from typing import Any

from graphql import DocumentNode, FieldNode, Visitor, visit
from starlette.responses import Response

from gateway.edge.conditional import conditional
from gateway.graphql.context import ReadLog
from gateway.graphql.responses import carries_errors
from gateway.settings import Settings

NO_STORE = "no-store"
AVAILABILITY_FIELDS = frozenset({"availability", "nextAvailableSlot", "earliestSlot"})
BOOKING_INFO_FIELDS = frozenset({"bookingInfo"})
# Clients send the same few documents; a flood of others only empties this now and then.
MAX_REMEMBERED_AGES = 512


def uncacheable(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response


def _clean(response: Response) -> bool:
    body = getattr(response, "body", None)  # a streamed answer has none
    if response.status_code != 200 or not isinstance(body, bytes | memoryview):
        return False
    return not carries_errors(bytes(body))


def noted(response: Response, reads: ReadLog) -> Response:
    """An executed answer, marked ``no-store`` unless it may be kept (its reads in ``reads``).

    The mark travels with the response object, to every request that shares its execution."""
    if reads.stale or reads.held or not _clean(response):
        return uncacheable(response)
    return response


class _FieldNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.names.add(node.name.value)


class HttpCaching:
    def __init__(self, settings: Settings) -> None:
        credentials = [
            *(["Authorization"] if settings.pass_through_auth else []),
            *(["X-API-Key", "Authorization"] if settings.api_keys else []),
        ]
        self._scope = "private" if credentials else "public"
        self._vary = ", ".join(dict.fromkeys(["Accept", *credentials]))
        self._links = settings.links_ttl
        self._booking_info = min(settings.booking_info_ttl, settings.links_ttl)
        self._availability = min(settings.availability_ttl, self._booking_info)
        self._ages: dict[str, int] = {}

    def max_age(self, query: str, document: DocumentNode) -> int:
        """Whole seconds the data ``document`` (parsed from ``query``) selects stays fresh."""
        # A walk of the document costs more than the rest of a cached answer: once per text.
        known = self._ages.get(query)
        if known is not None:
            return known
        fields = _FieldNames()
        visit(document, fields)
        if fields.names & AVAILABILITY_FIELDS:
            ttl = self._availability
        elif fields.names & BOOKING_INFO_FIELDS:
            ttl = self._booking_info
        else:
            ttl = self._links
        if len(self._ages) >= MAX_REMEMBERED_AGES:
            self._ages.clear()
        age = self._ages[query] = max(0, math.floor(ttl))
        return age

    def answer(
        self, if_none_match: str | None, response: Response, query: str, document: DocumentNode
    ) -> Response:
        """An executed query's answer with its caching headers, or the 304 that replaces it."""
        # Every execution was ``noted``; an answer the response cache kept is clean by its rules.
        if response.headers.get("cache-control") == NO_STORE:
            return response
        if response.status_code != 200:
            return uncacheable(response)
        headers = {
            "Cache-Control": f"{self._scope}, max-age={self.max_age(query, document)}",
            "Vary": self._vary,
        }
        return conditional(if_none_match, bytes(response.body), headers)
