"""GraphQL over HTTP's GET: a request as the query string clients send (JSON-encoded
``variables`` and ``extensions``), and APQ's extension."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def query_params(
    query: str | None = None,
    variables: Mapping[str, Any] | None = None,
    *,
    operation_name: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    params = {"query": query, "operationName": operation_name}
    for name, value in (("variables", variables), ("extensions", extensions)):
        if value is not None:
            params[name] = json.dumps(value, separators=(",", ":"))
    return {name: value for name, value in params.items() if value is not None}
