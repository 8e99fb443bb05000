"""A leaner execution of plain scalar fields.

graphql-core builds a resolve-info object, a path, parses arguments and walks
``complete_value`` for every field of every object; for an availability answer that is three
fields per slot and thousands of slots, and it is most of the time such a query costs. A
field with no resolver of its own, no arguments and a non-null scalar type needs none of that:
read the attribute, serialize it. Objects made only of such fields (a slot) are built in one
loop. Anything else, and any value that does not serialize cleanly, takes graphql-core's own
path, so errors and their paths are exactly what they would have been.

A source may also offer a field's value already serialized (``serialized(field, names)``,
say a list of slots rendered once per month page: ``gateway.graphql.rendered``). It is taken
only when the context asks for it (``splice``: its answer goes to an encoder that splices
``orjson.Fragment``) and the field's sub-selection is plain: named fields, no alias, argument,
directive or deferral. Anything else executes as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined, UndefinedType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_NOT_LEAN = object()


Lean = tuple[GraphQLField, GraphQLScalarType]


def _lean(parent_type: GraphQLObjectType, details: FieldDetailsList) -> Lean | None:
    node = details[0].node
    field = parent_type.fields.get(node.name.value)
    if (
        field is not None
        and not node.arguments
        and not field.args
        and getattr(field.resolve, "_is_default", False)
        and isinstance(field.type, GraphQLNonNull)
        and isinstance(field.type.of_type, GraphQLScalarType)
    ):
        return field, field.type.of_type
    return None


def _value(lean: Lean, source: Any) -> Any:
    """The serialized value of a lean field, or ``_NOT_LEAN`` to take graphql-core's path."""
    field, scalar = lean
    try:
        value = field.resolve(source, None)  # type: ignore[misc]
        if value is None or value is Undefined:
            return _NOT_LEAN
        serialized = scalar.serialize(value)
    except Exception:  # graphql-core's own path reports it properly
        return _NOT_LEAN
    return _NOT_LEAN if serialized is None or serialized is Undefined else serialized


def _object_of_list(type_: GraphQLOutputType) -> GraphQLObjectType | None:
    """The object type of ``[T!]!``, else None."""
    outer = type_.of_type if isinstance(type_, GraphQLNonNull) else None
    item = outer.of_type if isinstance(outer, GraphQLList) else None
    inner = item.of_type if isinstance(item, GraphQLNonNull) else None
    return inner if isinstance(inner, GraphQLObjectType) else None


def _named_only(key: str, group: FieldDetailsList) -> bool:
    """Every node of ``group`` is the plain field ``key``: no alias, argument or directive."""
    return all(
        d.node.name.value == key
        and d.node.alias is None
        and not d.node.arguments
        and not d.node.directives
        and d.node.selection_set is None
        for d in group
    )


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core reuses one grouped field set for every item of a list, so whether a
        # selection is all-lean is decided once per selection. Each entry keeps its field set
        # alive, so its id cannot be reused by another one during the execution.
        self._lean_sets: dict[int, tuple[GroupedFieldSet, list[tuple[str, Lean]] | None]] = {}
        manager = self.middleware_manager
        self._plain = manager is None or not manager.middlewares
        self._splice = self._plain and getattr(self.context_value, "splice", False) is True

    def _lean_set(
        self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet
    ) -> list[tuple[str, Lean]] | None:
        found = self._lean_sets.get(id(grouped))
        if found is not None and found[0] is grouped:
            return found[1]
        fields = [(name, _lean(parent_type, details)) for name, details in grouped.items()]
        lean = (
            [(name, field) for name, field in fields if field is not None]
            if self._plain and all(field is not None for _, field in fields)
            else None
        )
        self._lean_sets[id(grouped)] = (grouped, lean)
        return lean

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any = None,
    ) -> AwaitableOrValue[dict[str, Any]]:
        lean = self._lean_set(parent_type, grouped_field_set)
        if lean is not None:
            results: dict[str, Any] = {}
            for name, field in lean:
                value = _value(field, source_value)
                if value is _NOT_LEAN:
                    break
                results[name] = value
            else:
                return results
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any = None,
    ) -> AwaitableOrValue[list[Any]]:
        # A list of all-lean objects (the slots) is built in one loop, without the per-item
        # path, completion and type checks of graphql-core.
        inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else None
        if (
            self._plain
            and isinstance(inner, GraphQLObjectType)
            and isinstance(items, list | tuple)
            and not self.get_stream_usage(field_details_list, path)
        ):
            grouped, defers, _ = self.collect_subfields(inner, field_details_list)
            lean = None if defers else self._lean_set(inner, grouped)
            if lean is not None:
                rows: list[dict[str, Any]] = []
                for item in items:
                    row: dict[str, Any] = {}
                    for name, field in lean:
                        value = _value(field, item)
                        if value is _NOT_LEAN:
                            return super().complete_iterable_value(
                                item_type, field_details_list, info, path, items, position_context
                            )
                        row[name] = value
                    rows.append(row)
                return rows
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _serialized(
        self, parent_type: GraphQLObjectType, source: Any, details: FieldDetailsList
    ) -> Any:
        """What ``source`` offers as the field's serialized value, or None."""
        offer = getattr(source, "serialized", None)
        if offer is None:
            return None
        node = details[0].node
        field = parent_type.fields.get(node.name.value)
        inner = _object_of_list(field.type) if field is not None else None
        if inner is None or node.arguments:
            return None
        grouped, defers, _ = self.collect_subfields(inner, details)
        if defers or not all(_named_only(key, group) for key, group in grouped.items()):
            return None
        return offer(node.name.value, tuple(grouped))

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any = None,
    ) -> AwaitableOrValue[Any] | UndefinedType:
        if self._splice:
            serialized = self._serialized(parent_type, source, field_details_list)
            if serialized is not None:
                return serialized
        if self._plain:
            field = _lean(parent_type, field_details_list)
            if field is not None:
                value = _value(field, source)
                if value is not _NOT_LEAN:
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
