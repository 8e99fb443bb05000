"""Persisted operations: Apollo's automatic persisted queries, and an allow-list mode.

APQ (``extensions.persistedQuery: {version: 1, sha256Hash}``): a request carrying only the
hash runs the document stored under it, or gets PERSISTED_QUERY_NOT_FOUND, upon which the
client sends hash and document together; the hash is checked (PERSISTED_QUERY_HASH_MISMATCH)
and the document stored in the read-through cache, so every process on the same Redis knows it.
Only a document that parses and validates within the document limits, and is at most
``GATEWAY_APQ_MAX_DOCUMENT_BYTES`` long, is stored: any other is answered as sent (its errors,
or its data) and the next hash-only request for it gets PERSISTED_QUERY_NOT_FOUND again, so
what registrations may keep is bounded by what a valid document can be.

The persisted operations are the ones shipped in ``gateway/graphql/operations`` (which
``schema/operations`` links to; ``GATEWAY_OPERATIONS_DIR`` names another directory), known by
the hash of their text, and those of a manifest client tooling wrote
(``GATEWAY_PERSISTED_MANIFEST``, see ``manifest``), known by the manifest's ids.

Allow-list mode (``GATEWAY_PERSISTED_ONLY``): only persisted operations run, sent by their
hash or as their document in any formatting: a document runs when its canonical form (below)
is a persisted operation's. A hash it does not know gets PERSISTED_QUERY_NOT_FOUND, so that an
APQ client sends the document, which registers only when it is a persisted one; any other
document gets PERSISTED_QUERY_REQUIRED.

The canonical form of a document is graphql-core's print of it, without the bare
``__typename`` fields that Apollo Client adds to every selection set: so whitespace,
comments, commas and re-printing (``gql`` prints what it sends) do not matter, and neither do
added type names. Dropping those cannot let another operation through: a bare ``__typename``
takes no argument and reads no data, so the operation with them selects what the persisted
one does, plus the type names. An aliased one, or one with a directive, is kept (and so must
match), and so is a selection set's last selection, so ``{ __typename }`` matches only itself.

Either way the request passed on (the edge's ``GraphQLRequest``, read and parsed once) carries
the resolved document, parsed, in ``query`` and no ``persistedQuery``, so the response cache
keys on the document itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    SelectionNode,
    SelectionSetNode,
    Visitor,
    print_ast,
    visit,
)
from starlette.responses import JSONResponse, Response

from gateway.cache import Pass, ReadThroughCache, Resource
from gateway.edge.refusal import BadRequest
from gateway.edge.request import MAX_REMEMBERED_DOCUMENT, GraphQLRequest, parse_document
from gateway.errors import SettingsError
from gateway.graphql.manifest import ManifestError, read_manifest
from gateway.settings import Settings

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


def _bare_typename(selection: SelectionNode) -> bool:
    return (
        isinstance(selection, FieldNode)
        and selection.name.value == "__typename"
        and selection.alias is None
        and not selection.arguments
        and not selection.directives
    )


class _TypenamesDropped(Visitor):
    def leave_selection_set(self, node: SelectionSetNode, *_: Any) -> SelectionSetNode | None:
        kept = tuple(s for s in node.selections if not _bare_typename(s))
        if not kept or len(kept) == len(node.selections):
            return None  # unchanged
        return SelectionSetNode(selections=kept)


def canonical(document: DocumentNode) -> str:
    """The form two documents that ask the same are compared in (see the module docstring)."""
    return print_ast(visit(document, _TypenamesDropped()))


def canonical_text(text: str, max_tokens: int | None) -> str | None:
    """The canonical form of a document's text; None when it does not parse (within
    ``max_tokens``)."""
    # Clients send the same few documents: short ones are worked out once.
    if len(text) <= MAX_REMEMBERED_DOCUMENT:
        return _remembered_canonical(text, max_tokens)
    return _canonical_of(text, max_tokens)


def _canonical_of(text: str, max_tokens: int | None) -> str | None:
    found = parse_document(text, max_tokens)
    return None if isinstance(found, GraphQLError) else canonical(found)


_remembered_canonical = lru_cache(maxsize=512)(_canonical_of)


def persisted_operations(settings: Settings) -> dict[str, str]:
    """Id -> document of every persisted operation: the shipped ones and the manifest's."""
    operations = load_operations(settings.operations_dir or PACKAGED_OPERATIONS)
    if settings.persisted_manifest is not None:
        try:
            operations.update(read_manifest(settings.persisted_manifest))
        except ManifestError as exc:
            raise SettingsError("GATEWAY_PERSISTED_MANIFEST", str(exc)) from exc
    return operations


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
        # What allow-list mode runs: these texts, and any with one of these canonical forms.
        self._texts = set(self._allowed.values())
        self._forms = {form for text in self._texts if (form := canonical_text(text, None))}
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
            if self._only and not self._listed(query, request.max_tokens):
                return refusal(*REQUIRED)
            return request
        found = await self._document(persisted, query, request.max_tokens)
        if isinstance(found, Response):
            return found
        rest = {k: v for k, v in extensions.items() if k != "persistedQuery"}
        return request.resolved(found, rest or None)

    def _listed(self, query: str | None, max_tokens: int | None) -> bool:
        """Whether allow-list mode runs this document."""
        if query is None:
            return False
        if query in self._texts:
            return True
        form = canonical_text(query, max_tokens)
        return form is not None and form in self._forms

    async def _document(
        self, persisted: object, query: object, max_tokens: int | None
    ) -> str | Response:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return refusal(*UNSUPPORTED)
        given = persisted.get("sha256Hash")
        given = given if isinstance(given, str) else ""
        # A manifest's id is the tool's, matched as written; a hash in any case.
        digest = given.lower()
        if isinstance(query, str):
            return await self._registered(given, query, max_tokens)
        if given in self._allowed:
            return self._allowed[given]
        if digest in self._allowed:
            return self._allowed[digest]
        stored = await self._lookup(digest) if _SHA256.match(digest) else None
        if stored is None:
            # Allow-list mode too: an APQ client then sends the document, checked below.
            return refusal(*NOT_FOUND)
        if self._only and not self._listed(stored, max_tokens):
            return refusal(*REQUIRED)
        return stored

    async def _registered(self, given: str, query: str, max_tokens: int | None) -> str | Response:
        """``query`` sent with its hash: checked, and kept under it when it may be."""
        if self._allowed.get(given) == query:
            return query  # a manifest's id, whatever hash its tool used
        digest = given.lower()
        if not _SHA256.match(digest) or sha256(query) != digest:
            return refusal(*MISMATCH)
        if self._only and not self._listed(query, max_tokens):
            return refusal(*REQUIRED)
        if digest not in self._allowed and self._registrable(query):
            await self._store(digest, query)
        return query

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
