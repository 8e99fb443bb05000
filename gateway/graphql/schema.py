"""The schema: query, mutation, scalars and extensions, assembled once."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from gateway.graphql.execution import LeanExecutionContext
from gateway.graphql.extensions import ErrorShaping
from gateway.graphql.mutations import Mutation
from gateway.graphql.queries import Query
from gateway.graphql.scalars import SCALARS
from gateway.graphql.types import MeetingLink


def build_schema(*, lean: bool = True) -> strawberry.Schema:
    """``lean=False`` keeps graphql-core's own execution throughout (for comparison)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[MeetingLink],
        extensions=[ErrorShaping],
        execution_context_class=LeanExecutionContext if lean else None,
        config=StrawberryConfig(scalar_map=SCALARS),  # type: ignore[arg-type]
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"
