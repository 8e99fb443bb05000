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
from collections.abc import Awaitable, Callable

import orjson
from starlette.responses import Response

from gateway.cache import Pass, ReadThroughCache, Resource
from gateway.cache.keys import Params, entry_key
from gateway.edge.request import GraphQLRequest
from gateway.graphql.context import ReadLog
from gateway.meetings.service import EVERY_BOOKING

MAX_CACHED_DOCUMENT = 20_000


def response_key(request: GraphQLRequest) -> str | None:
    """The cache key of a POSTed GraphQL request, or None when it must not be cached."""
    if _KEY not in request.derived:
        request.derived[_KEY] = _key_of(request)
    found = request.derived[_KEY]
    return found if isinstance(found, str) else None


_KEY = "response_key"


def _key_of(request: GraphQLRequest) -> str | None:
    document = request.query
    if (
        document is None
        or len(document) > MAX_CACHED_DOCUMENT
        or request.extensions
        or request.operation.type != "query"
    ):
        return None
    canonical = orjson.dumps(
        [document, request.operation_name, request.variables or {}],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def carries_errors(body: bytes) -> bool:
    """Whether a GraphQL answer's JSON carries errors: a search first, since most answers hold
    none and a month of slots is a large document to parse."""
    if b'"errors"' not in body:
        return False
    answer = orjson.loads(body)
    return not isinstance(answer, dict) or "errors" in answer


# Kept responses are their JSON bytes; one answered but not kept is the response itself, with
# its own status and headers.
Answer = bytes | Response


def _encode(answer: Answer) -> bytes:
    return answer if isinstance(answer, bytes) else bytes(answer.body)


def _decode(raw: bytes) -> Answer:
    return raw


class KeptAnswer(Response):
    """A kept response's bytes answered again: a 200 of JSON, with the headers Starlette's
    ``Response`` would make for them, made without its general path."""

    media_type = "application/json"

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]


# Distinct keys an instance remembers the entry key of (one per document and variables a
# client sends); past it, they are worked out again from the start.
MAX_REMEMBERED_KEYS = 4096


class ResponseCache:
    def __init__(self, cache: ReadThroughCache, tenant: str, ttl: float, max_stale: float) -> None:
        self._cache = cache
        self._tenant = tenant
        self._entry_keys: dict[str, str] = {}
        # Never served stale: a kept response is either fresh or recomputed.
        self._resource: Resource[Answer] = Resource(
            name="graphql-response",
            ttl=ttl,
            max_stale=max(ttl, max_stale),
            encode=_encode,
            decode=_decode,
            swr=0.0,
        )

    def kept(self, key: str) -> Response | None:
        """The response kept under ``key`` when this process holds it fresh, without a
        coroutine (a repeated query's answer); None: ``serve`` answers it."""
        cached = self._cache.fresh(self._resource, self._entry_key(key))
        return None if cached is None else _answered(cached.value)

    async def serve(self, key: str, execute: Callable[[ReadLog], Awaitable[Response]]) -> Response:
        """The kept response under ``key``, or what ``execute(reads)`` answers; the execution
        notes in ``reads`` (its context's log) whether any read it made was stale."""

        async def load() -> Answer | Pass[Answer]:
            log = ReadLog()
            response = await execute(log)
            body = bytes(response.body)
            # One that hid a held slot would hide it past the hold's end.
            unusable = log.stale or log.held
            if response.status_code != 200 or unusable or carries_errors(body):
                return Pass(response)
            return body

        cached = await self._cache.get(
            self._resource,
            self._tenant,
            _params(key),
            load,
            (EVERY_BOOKING,),
            key=self._entry_key(key),
        )
        return _answered(cached.value)

    def _entry_key(self, key: str) -> str:
        entry = self._entry_keys.get(key)
        if entry is None:
            if len(self._entry_keys) >= MAX_REMEMBERED_KEYS:
                self._entry_keys.clear()
            params = _params(key)
            entry = self._entry_keys[key] = entry_key(self._tenant, self._resource.name, params)
        return entry


def _params(key: str) -> Params:
    return {"q": key}


def _answered(answer: Answer) -> Response:
    return answer if isinstance(answer, Response) else KeptAnswer(answer)
