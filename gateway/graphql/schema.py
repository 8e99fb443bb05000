"""The schema: query, mutation, scalars and extensions, assembled once."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.graphql.execution import LeanExecutionContext
from gateway.graphql.extensions import ErrorShaping, SafeParserCache, Shaping
from gateway.graphql.holds import Mutation
from gateway.graphql.hooks import HookRunner
from gateway.graphql.limits import request_limits, token_limit
from gateway.graphql.queries import Query
from gateway.graphql.resolvers import install_straight_resolvers
from gateway.graphql.scalars import SCALARS
from gateway.graphql.subscriptions import Subscription
from gateway.graphql.types import MeetingLinkObject
from gateway.graphql.validation import validation
from gateway.settings import Settings


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ErrorShaping logs the unexpected ones with their correlation id; a client's bad
        # input or an upstream outage is an answer, not a log-worthy traceback.
        return

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        # Each stage enters its hooks without wrapping them anew (``gateway.graphql.hooks``).
        return HookRunner(execution_context=execution_context, extensions=extensions)


def build_schema(*, lean: bool = True, settings: Settings | None = None) -> strawberry.Schema:
    """``lean=False`` keeps graphql-core's own execution and strawberry's resolvers throughout
    (for comparison); ``settings`` sets the limits, error masking and introspection (default:
    the defaults)."""
    settings = settings or Settings()
    shaping = Shaping.of(settings)
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[MeetingLinkObject],
        # Classes or factories, never shared instances: an extension holds one request's state.
        extensions=[
            lambda: ErrorShaping(shaping),
            # Before the parser cache: the token limit is a parse option.
            token_limit(settings),
            *([] if settings.introspection_enabled else [DisableIntrospection]),
            # Clients send the same few documents: parse and validate each once.
            SafeParserCache,
            validation(settings),
            request_limits(settings),
        ],
        execution_context_class=LeanExecutionContext if lean else None,
        config=StrawberryConfig(scalar_map=SCALARS),  # type: ignore[arg-type]
    )
    if lean:
        # Resolvers whose arguments need no conversion are called straight.
        install_straight_resolvers(schema)
    return schema


def sdl() -> str:
    return build_schema().as_str() + "\n"
