"""A GraphQL request, read once: its JSON body or a GET's query string, and its parsed document.

    found = read_graphql_request(body, max_tokens=2000)   # GraphQLRequest | BadRequest
    found = read_graphql_params(request.query_params, max_tokens=2000)
    found.document, found.error, found.operation

The document is parsed with the token limit, so no document costs more than that many tokens
to reject; clients send the same few documents, so the parses of short ones are remembered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, parse

from gateway.edge.refusal import BadRequest

ANONYMOUS = "anonymous"
UNKNOWN = "unknown"
# Operation names come from clients; only well-formed, short ones become log fields and
# metric labels.
_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
# Longer documents are parsed every time rather than kept: a frontend's are far shorter, and
# keeping junk would cost memory.
MAX_REMEMBERED_DOCUMENT = 20_000
# Bodies up to this size are read once per distinct body (512 of them: 2 MiB at most).
MAX_REMEMBERED_BODY = 4096
NOT_JSON = BadRequest("the request body is not valid JSON in UTF-8")
TOO_DEEP = BadRequest("the request body's JSON is nested too deeply")
NOT_AN_OBJECT = BadRequest("the request body must be a JSON object (batches are not accepted)")


@dataclass(frozen=True, slots=True)
class GraphQLOperation:
    type: str  # "query", "mutation", "subscription", or "" when unknown
    name: str  # a well-formed client name, ANONYMOUS or UNKNOWN


UNREADABLE = GraphQLOperation("", UNKNOWN)


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str | None
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    max_tokens: int | None = field(default=None, repr=False)
    document: DocumentNode | None = field(default=None, repr=False, compare=False)
    error: GraphQLError | None = field(default=None, compare=False)  # why `query` did not parse
    operation: GraphQLOperation = field(default=UNREADABLE, compare=False)
    # What the layers inside work out from this request once (its response cache key): a
    # request read from a repeated body is the same object each time, so this goes with it.
    derived: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def parsed(
        cls,
        query: str | None,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        extensions: dict[str, Any] | None = None,
        *,
        max_tokens: int | None = None,
    ) -> GraphQLRequest:
        document: DocumentNode | None = None
        error: GraphQLError | None = None
        if query is not None:
            found = parse_document(query, max_tokens)
            document, error = (None, found) if isinstance(found, GraphQLError) else (found, None)
        return cls(
            query,
            operation_name,
            variables,
            extensions,
            max_tokens,
            document,
            error,
            UNREADABLE if document is None else operation_of(document, operation_name),
        )

    def resolved(self, query: str, extensions: dict[str, Any] | None) -> GraphQLRequest:
        """This request running ``query`` (a persisted document) with these extensions."""
        if query == self.query:
            return replace(self, extensions=extensions)
        return GraphQLRequest.parsed(
            query, self.operation_name, self.variables, extensions, max_tokens=self.max_tokens
        )


def read_graphql_request(body: bytes, *, max_tokens: int | None) -> GraphQLRequest | BadRequest:
    """The request a JSON body asks for, or why it cannot be run.

    A frontend sends the same few bodies over and over (the response cache's premise), so the
    reading of short ones is remembered: what is read is never changed by anyone after."""
    if len(body) <= MAX_REMEMBERED_BODY:
        return _remembered_read(body, max_tokens)
    return _read(body, max_tokens)


@lru_cache(maxsize=512)
def _remembered_read(body: bytes, max_tokens: int | None) -> GraphQLRequest | BadRequest:
    return _read(body, max_tokens)


def _read(body: bytes, max_tokens: int | None) -> GraphQLRequest | BadRequest:
    try:
        data = json.loads(body)
    except ValueError:  # UnicodeDecodeError is one
        return NOT_JSON
    except RecursionError:
        return TOO_DEEP
    if not isinstance(data, dict):
        return NOT_AN_OBJECT
    return _request_of(data, max_tokens)


def read_graphql_params(
    params: Mapping[str, str], *, max_tokens: int | None
) -> GraphQLRequest | BadRequest:
    """The request a GET's query string asks for (GraphQL over HTTP: ``query``,
    ``operationName``, ``documentId``, and ``variables`` and ``extensions`` as JSON text)."""
    data: dict[str, Any] = {
        name: params.get(name) for name in ("query", "operationName", "documentId")
    }
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if not raw:
            continue
        try:
            data[name] = json.loads(raw)
        except ValueError:
            return BadRequest(f"`{name}` must be JSON text")
        except RecursionError:
            return BadRequest(f"`{name}` is nested too deeply")
    return _request_of(data, max_tokens)


def _request_of(data: dict[str, Any], max_tokens: int | None) -> GraphQLRequest | BadRequest:
    query, name = data.get("query"), data.get("operationName")
    variables, extensions = data.get("variables"), data.get("extensions")
    document_id = data.get("documentId")
    for value, kind, wanted in (
        (query, "query", str),
        (name, "operationName", str),
        (variables, "variables", dict),
        (extensions, "extensions", dict),
        (document_id, "documentId", str),
    ):
        if not (value is None or isinstance(value, wanted)):
            noun = "a string" if wanted is str else "an object"
            return BadRequest(f"`{kind}` must be {noun} or null")
    if document_id is not None and query is None:
        # GraphQL over HTTP's persisted documents (graphql-codegen's clients send these): the
        # id is looked up as APQ's hash is, a "sha256:" prefix aside.
        persisted = {"version": 1, "sha256Hash": document_id.removeprefix("sha256:")}
        extensions = {**(extensions or {}), "persistedQuery": persisted}
    return GraphQLRequest.parsed(query, name, variables, extensions, max_tokens=max_tokens)


def parse_document(query: str, max_tokens: int | None) -> DocumentNode | GraphQLError:
    if len(query) <= MAX_REMEMBERED_DOCUMENT:
        return _remembered_parse(query, max_tokens)
    return _parse(query, max_tokens)


@lru_cache(maxsize=512)
def _remembered_parse(query: str, max_tokens: int | None) -> DocumentNode | GraphQLError:
    return _parse(query, max_tokens)


def _parse(query: str, max_tokens: int | None) -> DocumentNode | GraphQLError:
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLError as error:
        return error


def operation_of(document: DocumentNode, name: str | None) -> GraphQLOperation:
    """The operation a request would run: its type and name (UNREADABLE when there is not
    exactly one that matches)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [op for op in operations if op.name and op.name.value == name]
    if len(operations) != 1:
        return UNREADABLE
    operation = operations[0]
    found = operation.name.value if operation.name else ANONYMOUS
    return GraphQLOperation(
        operation.operation.value, found if _OPERATION_NAME.match(found) else UNKNOWN
    )
