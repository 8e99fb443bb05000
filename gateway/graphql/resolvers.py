"""Resolvers called straight, when strawberry's argument conversion would change nothing.

For every call of a resolver, strawberry converts each argument graphql-core coerced
(``convert_argument``: a walk through the Maybe, Optional, list, enum, GlobalID and input
cases) and gathers what the resolver asks for (its ``self``, ``info``, ``root``, ``parent``)
through a chain of wrappers. For an argument of a plain scalar type (``String``, ``Int``,
``Float``, ``Boolean``, ``ID``, ``DateTime``, ``TimeZone``), or its nullable form, that
conversion hands back the value graphql-core coerced, under its Python name. A field whose
arguments are all such, with no field extension (permissions are one), no exception handler
and not a subscription, gets a resolver here that does just that: the names mapped once, the
resolver called with what it asks for, its value (or coroutine) returned as is. Every other
field keeps strawberry's resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.base import StrawberryMaybe, StrawberryOptional
from strawberry.types.field import StrawberryField

from gateway.graphql.scalars import TimeZone

# The argument types strawberry passes through unchanged (a ``GlobalID`` is decoded: not one).
_PLAIN: tuple[object, ...] = (str, int, float, bool, strawberry.ID, datetime, TimeZone)

Resolver = Callable[..., Any]


def _plain(argument: StrawberryArgument) -> bool:
    kind = argument.type
    if isinstance(kind, StrawberryMaybe):
        return False
    if isinstance(kind, StrawberryOptional):
        kind = kind.of_type
    return any(kind is plain for plain in _PLAIN)


def straight_resolver(schema: strawberry.Schema, field: StrawberryField) -> Resolver | None:
    """``field``'s resolver, called without conversion; None when it needs strawberry's."""
    resolver = field.base_resolver
    if (
        resolver is None
        or field.extensions
        or field.is_subscription
        or not callable(resolver.wrapped_func)
        or not all(_plain(argument) for argument in field.arguments)
    ):
        return None
    names = {schema.config.name_converter.from_argument(a): a.python_name for a in field.arguments}
    call = resolver.wrapped_func
    takes_self = resolver.self_parameter is not None
    sources = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    info_class = schema.config.info_class

    def resolve(source: Any, info: GraphQLResolveInfo[Any], **arguments: Any) -> Any:
        given = {names[name]: value for name, value in arguments.items()}
        for name in sources:
            given[name] = source
        if info_name is not None:
            given[info_name] = info_class(_raw_info=info, _field=field)
        return call(source, **given) if takes_self else call(**given)

    return resolve


def install_straight_resolvers(schema: strawberry.Schema) -> list[str]:
    """Give each field that qualifies its straight resolver; the ``Type.field`` names it did.
    Nothing changes if the schema has exception handlers (they watch every resolver)."""
    if getattr(schema.schema_converter, "_exception_handler_specs", True):
        return []
    done = []
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, graphql_field in type_.fields.items():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField) or graphql_field.resolve is None:
                continue
            straight = straight_resolver(schema, field)
            if straight is not None:
                graphql_field.resolve = straight
                done.append(f"{type_.name}.{name}")
    return done
