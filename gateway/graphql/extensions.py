"""Error shaping: expected errors get a code, everything else is masked behind a correlation id.

In production (``GATEWAY_PRODUCTION``) the upstream's own words are kept from clients too: an
upstream error keeps its code and correlation id but gets a generic message; the log has the
detail. With introspection off, graphql-core's "Did you mean ...?" hints are cut from
validation errors: they would spell out the schema that introspection hides.

In pass-through mode a refused credential is the caller's own: ``UNAUTHENTICATED`` (401) or
``FORBIDDEN`` (403), not an upstream failure. With the gateway's own credential it stays
``UPSTREAM_AUTH`` / ``UPSTREAM_FORBIDDEN``: the operator's to fix, not the client's.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError
from starlette.requests import Request
from strawberry.extensions import SchemaExtension

from gateway.edge.body import graphql_request_of
from gateway.edge.request import GraphQLRequest, parse_document
from gateway.errors import (
    GatewayError,
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamForbidden,
)
from gateway.settings import Settings

log = logging.getLogger("gateway.graphql")

MASKED_MESSAGE = "Unexpected error."
UPSTREAM_MESSAGE = "HubSpot could not answer this request; try again later."
# graphql-core ends an unknown name's error with its guesses at what was meant.
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)
# graphql-core's parser reports its own bounds as syntax errors; these name them.
_PARSER_LIMITS = {
    "tokens. Parsing aborted": "TOO_MANY_TOKENS",
    "nested too deeply": "QUERY_TOO_DEEP",
}


@dataclass(frozen=True, slots=True)
class Shaping:
    """How much a client is told: ``production`` hides the upstream's words, ``hide_schema``
    the validation hints, ``pass_through`` says whose credential the upstream refuses."""

    production: bool = False
    hide_schema: bool = False
    pass_through: bool = False

    @classmethod
    def of(cls, settings: Settings) -> Shaping:
        return cls(
            production=settings.production,
            hide_schema=not settings.introspection_enabled,
            pass_through=settings.pass_through_auth,
        )


def shape(error: GraphQLError, request_id: str, shaping: Shaping = Shaping()) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return _client_error(error, shaping)
    if isinstance(original, InputError):
        return _with(error, original.message, {"code": original.code, "field": original.field})
    if isinstance(original, UpstreamError):
        return _upstream_error(error, original, request_id, shaping)
    if isinstance(original, GatewayError):
        return _with(error, original.message, {"code": original.code})
    if isinstance(original, ValueError) and error.path is None:
        return _with(error, error.message, {"code": "BAD_USER_INPUT"})
    log.error(
        "unexpected error in %s (correlation id %s)",
        _where(error),
        request_id,
        exc_info=original,
    )
    return _with(
        error, MASKED_MESSAGE, {"code": "INTERNAL_SERVER_ERROR", "correlationId": request_id}
    )


def _client_error(error: GraphQLError, shaping: Shaping) -> GraphQLError:
    """Syntax, validation and variable-coercion errors: the client's own doing, and safe."""
    message = _SUGGESTION.sub("", error.message) if shaping.hide_schema else error.message
    if error.extensions and "code" in error.extensions:
        return _with(error, message, dict(error.extensions))  # a limit's own code
    code = "GRAPHQL_VALIDATION_FAILED"
    if "Variable" in error.message or "Expected value of type" in error.message:
        code = "BAD_USER_INPUT"
    for words, limit in _PARSER_LIMITS.items():
        if words in error.message:
            code = limit
    return _with(error, message, {"code": code})


def _upstream_error(
    error: GraphQLError, original: UpstreamError, request_id: str, shaping: Shaping
) -> GraphQLError:
    code = original.code
    if shaping.pass_through and isinstance(original, UpstreamAuthError):
        code = "UNAUTHENTICATED"
    elif shaping.pass_through and isinstance(original, UpstreamForbidden):
        code = "FORBIDDEN"
    extensions: dict[str, object] = {"code": code, "correlationId": request_id}
    if original.retry_after is not None:
        extensions["retryAfterSeconds"] = original.retry_after
    if shaping.production:
        log.warning(
            "upstream error in %s (correlation id %s): %s %s",
            _where(error),
            request_id,
            original.code,
            original.message,
        )
        return _with(error, UPSTREAM_MESSAGE, extensions)
    return _with(error, original.message, extensions)


def _where(error: GraphQLError) -> str:
    return ".".join(map(str, error.path or [])) or "operation"


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class ErrorShaping(SchemaExtension):
    def __init__(self, shaping: Shaping = Shaping()) -> None:
        super().__init__()
        self.shaping = shaping

    def on_operation(self) -> Iterator[None]:
        yield
        self._shape(self.execution_context.result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # A subscription's results go out one by one, before its operation ends.
        self._shape(result)
        yield

    def _shape(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if not errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None) or uuid.uuid4().hex
        result.errors = [  # type: ignore[attr-defined]
            shape(error, request_id, self.shaping) for error in errors
        ]


class SafeParserCache(SchemaExtension):
    """The document the edge parsed for this request (``gateway.edge``), else the edge's parse
    of the text (its remembered documents: one parser cache for requests, streams and the
    warm-up), except that a document that does not parse is left to strawberry's own parse: an
    error raised from a hook skips every ``on_operation`` (so it would reach the client
    unshaped, without a code), one raised by that parse does not."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        document = _edge_document(context.context, context.query)
        if document is None and context.query is not None:
            found = parse_document(context.query, context.parse_options.get("max_tokens"))
            document = None if isinstance(found, GraphQLError) else found
        context.graphql_document = document
        yield


def _edge_document(context: object, query: str | None) -> DocumentNode | None:
    request = getattr(context, "request", None)
    found = graphql_request_of(request.scope) if isinstance(request, Request) else None
    if isinstance(found, GraphQLRequest) and found.query == query:
        return found.document
    return None
