"""The schema: query, mutation, scalars and extensions, assembled once."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from gateway.graphql.extensions import ErrorShaping
from gateway.graphql.mutations import Mutation
from gateway.graphql.queries import Query
from gateway.graphql.scalars import SCALARS
from gateway.graphql.types import MeetingLink


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[MeetingLink],
        extensions=[ErrorShaping],
        config=StrawberryConfig(scalar_map=SCALARS),  # type: ignore[arg-type]
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"
