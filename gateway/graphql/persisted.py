"""Persisted operations: Apollo's automatic persisted queries, and an allow-list mode.

APQ (``extensions.persistedQuery: {version: 1, sha256Hash}``): a request carrying only the
hash runs the document stored under it, or gets PERSISTED_QUERY_NOT_FOUND, upon which the
client sends hash and document together; the hash is checked (PERSISTED_QUERY_HASH_MISMATCH)
and the document stored in the read-through cache, so every process on the same Redis knows it.
Only a document that parses and validates within the document limits, and is at most
``GATEWAY_APQ_MAX_DOCUMENT_BYTES`` long, is stored: any other is answered as sent (its errors,
or its data) and the next hash-only request for it gets PERSISTED_QUERY_NOT_FOUND again, so
what registrations may keep is bounded by what a valid document can be.

Allow-list mode (``GATEWAY_PERSISTED_ONLY``): only the operations shipped in
``gateway/graphql/operations`` (which ``schema/operations`` links to; ``GATEWAY_OPERATIONS_DIR``
names another directory) run, sent as their full text or by their hash; any other document,
or a registration, gets PERSISTED_QUERY_REQUIRED.

Either way the request passed on (the edge's ``GraphQLRequest``, read and parsed once) carries
the resolved document, parsed, in ``query`` and no ``persistedQuery``, so the response cache
keys on the document itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from starlette.responses import JSONResponse, Response

from gateway.cache import Pass, ReadThroughCache, Resource
from gateway.edge.refusal import BadRequest
from gateway.edge.request import GraphQLRequest

PACKAGED_OPERATIONS = Path(__file__).resolve().parent / "operations"
# Documents are not any tenant's data: one namespace for all.
NAMESPACE = "persisted"
DOCUMENT_TTL = 24 * 3600.0
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# What the edge read from a body: a request, why it cannot run, or nothing (not JSON).
Unread = GraphQLRequest | BadRequest | None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_operations(directory: Path) -> dict[str, str]:
    """Hash -> document of every ``*.graphql`` in ``directory``, as written and stripped."""
    allowed: dict[str, str] = {}
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_text()
        for form in (text, text.strip()):
            allowed[sha256(form)] = form
    return allowed


def refusal(code: str, message: str) -> Response:
    """A GraphQL error answer (HTTP 200, as Apollo clients expect for these codes)."""
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]})


NOT_FOUND = ("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
MISMATCH = ("PERSISTED_QUERY_HASH_MISMATCH", "provided sha256Hash does not match the query")
UNSUPPORTED = ("PERSISTED_QUERY_NOT_SUPPORTED", "only persistedQuery version 1 is supported")
REQUIRED = (
    "PERSISTED_QUERY_REQUIRED",
    "only the gateway's persisted operations are accepted; send one of them or its hash",
)


class PersistedQueries:
    def __init__(
        self,
        cache: ReadThroughCache,
        operations: Mapping[str, str],
        *,
        only: bool,
        accepts: Callable[[str], bool],
        max_document_bytes: int,
    ) -> None:
        """``accepts(document)``: whether a document may be registered (it validates)."""
        self._cache = cache
        self._allowed = dict(operations)
        self._only = only
        self._accepts = accepts
        self._max_document_bytes = max_document_bytes
        # None: no document under the hash, answered to the lookup and never kept.
        self._resource: Resource[str | None] = Resource(
            name="persisted-query",
            ttl=DOCUMENT_TTL,
            max_stale=DOCUMENT_TTL,
            encode=_encode_document,
            decode=bytes.decode,
        )

    async def resolve(self, request: Unread) -> Unread | Response:
        """The request to run (the document filled in), or the refusal to answer."""
        if not isinstance(request, GraphQLRequest):
            # Not ours to read: the endpoint answers it (4xx), unless only persisted ones may run.
            return refusal(*REQUIRED) if self._only else request
        query = request.query
        extensions = request.extensions or {}
        persisted = extensions.get("persistedQuery")
        if persisted is None:
            if self._only and not (query is not None and sha256(query) in self._allowed):
                return refusal(*REQUIRED)
            return request
        found = await self._document(persisted, query)
        if isinstance(found, Response):
            return found
        rest = {k: v for k, v in extensions.items() if k != "persistedQuery"}
        return request.resolved(found, rest or None)

    async def _document(self, persisted: object, query: object) -> str | Response:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return refusal(*UNSUPPORTED)
        digest = persisted.get("sha256Hash")
        digest = digest.lower() if isinstance(digest, str) else ""
        if isinstance(query, str):
            if not _SHA256.match(digest) or sha256(query) != digest:
                return refusal(*MISMATCH)
            if digest in self._allowed:
                return query
            if self._only:
                return refusal(*REQUIRED)
            if self._registrable(query):
                await self._store(digest, query)
            return query
        if digest in self._allowed:
            return self._allowed[digest]
        if self._only:
            return refusal(*REQUIRED)
        stored = await self._lookup(digest) if _SHA256.match(digest) else None
        return refusal(*NOT_FOUND) if stored is None else stored

    def _registrable(self, document: str) -> bool:
        # The size first: it is free, validation is not.
        return len(document.encode()) <= self._max_document_bytes and self._accepts(document)

    async def _lookup(self, digest: str) -> str | None:
        async def unknown() -> Pass[str | None]:
            return Pass(None)

        return (await self._cache.get(self._resource, NAMESPACE, {"h": digest}, unknown)).value

    async def _store(self, digest: str, document: str) -> None:
        async def known() -> str | None:
            return document

        # Twice: the first may have joined a concurrent lookup's flight that found nothing.
        for _ in range(2):
            stored = await self._cache.get(self._resource, NAMESPACE, {"h": digest}, known)
            if stored.value is not None:
                return


def _encode_document(document: str | None) -> bytes:
    # Only documents are kept: a lookup that found none is passed, never encoded.
    return (document or "").encode()
