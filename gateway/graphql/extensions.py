"""Error shaping: expected errors get a code, everything else is masked behind a correlation id."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.errors import GatewayError, InputError, UpstreamError

log = logging.getLogger("gateway.graphql")

MASKED_MESSAGE = "Unexpected error."


def shape(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # Syntax, validation and variable-coercion errors: the client's own doing, and safe.
        code = "GRAPHQL_VALIDATION_FAILED"
        if "Variable" in error.message or "Expected value of type" in error.message:
            code = "BAD_USER_INPUT"
        return _with(error, error.message, {"code": code})
    if isinstance(original, InputError):
        return _with(error, original.message, {"code": original.code, "field": original.field})
    if isinstance(original, UpstreamError):
        extensions: dict[str, object] = {"code": original.code, "correlationId": request_id}
        if original.retry_after is not None:
            extensions["retryAfterSeconds"] = original.retry_after
        return _with(error, original.message, extensions)
    if isinstance(original, GatewayError):
        return _with(error, original.message, {"code": original.code})
    if isinstance(original, ValueError) and error.path is None:
        return _with(error, error.message, {"code": "BAD_USER_INPUT"})
    log.error(
        "unexpected error in %s (correlation id %s)",
        ".".join(map(str, error.path or [])) or "operation",
        request_id,
        exc_info=original,
    )
    return _with(
        error, MASKED_MESSAGE, {"code": "INTERNAL_SERVER_ERROR", "correlationId": request_id}
    )


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
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None) or uuid.uuid4().hex
        result.errors = [shape(error, request_id) for error in errors]  # type: ignore[union-attr]
