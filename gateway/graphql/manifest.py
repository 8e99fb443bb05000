"""Persisted-operation manifests as client tooling writes them (``GATEWAY_PERSISTED_MANIFEST``).

    read_manifest(path)      # {id: document}, or ManifestError saying what is wrong

Two formats are read:

- graphql-codegen's client preset (``persistedDocuments``): one JSON object, ``{id: document}``;
- Apollo's persisted query manifest (``@apollo/generate-persisted-query-manifest``)::

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": ..., "name": ..., "type": "query", "body": ...}]}

An id is whatever the tool chose (a SHA-256 of the document unless told otherwise, which
graphql-codegen writes prefixed, ``sha256:<hash>``): a client sends it as
``extensions.persistedQuery.sha256Hash`` or as ``documentId``. Every document must parse, so
that a bad manifest stops the start rather than refusing its operations one request at a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphql import GraphQLError, parse

APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(ValueError):
    """The manifest file cannot be used; the message says why."""


def read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc.strerror}") from exc
    except ValueError as exc:  # UnicodeDecodeError is one
        raise ManifestError(f"{path} is not JSON in UTF-8 ({exc})") from exc
    if not isinstance(data, dict):
        raise ManifestError(f"{path} must hold a JSON object")
    entries = _apollo(path, data) if "format" in data else data
    operations: dict[str, str] = {}
    for key, document in entries.items():
        if not isinstance(key, str) or not key or not isinstance(document, str):
            raise ManifestError(f"{path}: every entry needs an id and a document, both strings")
        try:
            parse(document)
        except GraphQLError as exc:
            raise ManifestError(f"{path}: the document of {key!r} does not parse ({exc})") from exc
        # A prefixed id (GraphQL over HTTP's "sha256:<hash>", as graphql-codegen writes them)
        # is kept as its hash: clients send it either way (see ``gateway.edge.request``).
        operations[key.removeprefix("sha256:")] = document
    return operations


def _apollo(path: Path, data: dict[str, Any]) -> dict[Any, Any]:
    if data.get("format") != APOLLO_FORMAT or data.get("version") != 1:
        raise ManifestError(f'{path}: expected "format": "{APOLLO_FORMAT}" with "version": 1')
    operations = data.get("operations")
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise ManifestError(f'{path}: "operations" must be a list of objects')
    return {op.get("id"): op.get("body") for op in operations}
