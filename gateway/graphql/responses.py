"""A cache of whole query responses, keyed by tenant, document, operation name and variables.

Field execution, not I/O, is what a large GraphQL answer costs (about 16 ms for 1,400 slots);
a cache of upstream data cannot remove it. So the final JSON bytes of a query are kept in the
same read-through layer as everything else: a repeat of the same query skips parsing,
validation and execution, 100 identical concurrent queries execute once (single flight), and
two processes share answers through Redis.

A response is only kept when it holds no error, none of its reads were stale and it hid no
held slot (a hold ends on its own; see meetings/holds.py); it lives for
the shortest TTL of the data behind it, and every booking drops it (``EVERY_BOOKING``), in this
process and, through the layer's pub/sub, in every other. Mutations are never cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

from starlette.responses import Response

from gateway.cache import ReadThroughCache, Resource
from gateway.edge.request import GraphQLRequest
from gateway.meetings.service import EVERY_BOOKING, READS, ReadLog

MAX_CACHED_DOCUMENT = 20_000


class _NotReusable(Exception):
    """Carries a response out of the read-through load without it being stored."""

    def __init__(self, response: Response) -> None:
        super().__init__("response not reusable")
        self.response = response


def response_key(request: GraphQLRequest) -> str | None:
    """The cache key of a POSTed GraphQL request, or None when it must not be cached."""
    document = request.query
    if (
        document is None
        or len(document) > MAX_CACHED_DOCUMENT
        or request.extensions
        or request.operation.type != "query"
    ):
        return None
    canonical = json.dumps(
        [document, request.operation_name, request.variables or {}],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _identity(raw: bytes) -> bytes:
    return raw


class ResponseCache:
    def __init__(self, cache: ReadThroughCache, tenant: str, ttl: float, max_stale: float) -> None:
        self._cache = cache
        self._tenant = tenant
        # Never served stale: a kept response is either fresh or recomputed.
        self._resource = Resource(
            name="graphql-response",
            ttl=ttl,
            max_stale=max(ttl, max_stale),
            encode=_identity,
            decode=_identity,
            swr=0.0,
        )

    async def serve(self, key: str, execute: Callable[[], Awaitable[Response]]) -> Response:
        async def load() -> bytes:
            log = ReadLog()
            token = READS.set(log)
            try:
                response = await execute()
            finally:
                READS.reset(token)
            body = bytes(response.body)
            # One that hid a held slot would hide it past the hold's end.
            unusable = log.stale or log.held
            if response.status_code != 200 or unusable or "errors" in json.loads(body):
                raise _NotReusable(response)
            return body

        try:
            cached = await self._cache.get(
                self._resource, self._tenant, {"q": key}, load, (EVERY_BOOKING,)
            )
        except _NotReusable as fresh:
            return fresh.response
        return Response(cached.value, media_type="application/json")
