"""A leaner execution of plain leaf fields.

graphql-core builds a resolve-info object, a path, parses arguments and walks
``complete_value`` for every field of every object; for an availability answer that is three
fields per slot and thousands of slots, and it is most of the time such a query costs. A
field with no resolver of its own, no arguments and a leaf type (a scalar or an enum, maybe
null, or a list of non-null ones) needs none of that: read the attribute, serialize it.
Objects made only of such fields (a slot, a link) are built in one loop. Anything else, and
any value that does not serialize cleanly, takes graphql-core's own
path, so errors and their paths are exactly what they would have been.

A source may also offer a field's value already serialized (``serialized(field, names)``,
say a list of slots rendered once per month page: ``gateway.graphql.rendered``). It is taken
only when the context asks for it (``splice``: its answer goes to an encoder that splices
``orjson.Fragment``) and the field's sub-selection is plain: named fields, no alias, argument,
directive or deferral. Anything else executes as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
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
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

_NOT_LEAN = object()

# A lean field's shape: ``T!``, ``T``, ``[T!]!`` or ``[T!]`` of a leaf type ``T``, or ``O!`` or
# ``[O!]!`` of an object type ``O`` whose selection is lean in turn.
ONE, MAYBE, LIST, MAYBE_LIST = "one", "maybe", "list", "maybe-list"
OBJECT, OBJECTS = "object", "objects"
_SHAPES: dict[tuple[bool, bool], str] = {
    (False, False): ONE,
    (False, True): MAYBE,
    (True, False): LIST,
    (True, True): MAYBE_LIST,
}

Leaf = GraphQLScalarType | GraphQLEnumType


class LeanObject(NamedTuple):
    """A selection of an object type made only of lean fields, and the check graphql-core
    makes of a value of the type (strawberry's ``is_type_of``), if any."""

    is_type_of: Callable[[Any, Any], Any] | None
    fields: list[tuple[str, Lean]]


# How to read the field from its source, what its values are, and its shape.
Lean = tuple[Callable[[Any], Any], "Leaf | LeanObject", str]


def _leaf_shape(type_: GraphQLOutputType) -> tuple[Leaf, str] | None:
    """The leaf type and shape of a field type a lean field may have, else None."""
    nullable = not isinstance(type_, GraphQLNonNull)
    outer = type_ if nullable else type_.of_type  # type: ignore[union-attr]
    listed = isinstance(outer, GraphQLList)
    if listed:
        # Only non-null items: a null one is an error graphql-core reports with its path.
        item = outer.of_type  # type: ignore[union-attr]
        outer = item.of_type if isinstance(item, GraphQLNonNull) else None
    if isinstance(outer, GraphQLScalarType | GraphQLEnumType):
        return outer, _SHAPES[listed, nullable]
    return None


def _object_shape(type_: GraphQLOutputType) -> tuple[GraphQLObjectType, str] | None:
    """The object type and shape of ``O!`` or ``[O!]!``, else None."""
    inner = _object_of_list(type_)
    if inner is not None:
        return inner, OBJECTS
    outer = type_.of_type if isinstance(type_, GraphQLNonNull) else None
    return (outer, OBJECT) if isinstance(outer, GraphQLObjectType) else None


def _plain_field(parent_type: GraphQLObjectType, details: FieldDetailsList) -> GraphQLField | None:
    """The field ``details`` select, when it has no resolver of its own and no arguments."""
    node = details[0].node
    field: GraphQLField | None = parent_type.fields.get(node.name.value)
    if (
        field is None
        or node.arguments
        or field.args
        or not getattr(field.resolve, "_is_default", False)
    ):
        return None
    return field


def _reader(field: GraphQLField) -> Callable[[Any], Any]:
    """How a field without a resolver of its own reads its source: strawberry's default
    resolver is ``getattr`` of the field's Python name, which a C ``attrgetter`` does without
    the resolver's two wrapping calls; any other default resolver is called as strawberry
    would."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        isinstance(definition, StrawberryField)
        and definition.base_resolver is None
        and definition.default_resolver is getattr
        and definition.python_name
    ):
        return attrgetter(definition.python_name)
    resolve = field.resolve
    return lambda source: resolve(source, None)  # type: ignore[misc]


def _serialized_leaf(leaf: Leaf, value: Any) -> Any:
    if value is None or value is Undefined:
        return _NOT_LEAN
    serialized = leaf.coerce_output_value(value)
    return _NOT_LEAN if serialized is None or serialized is Undefined else serialized


def _value(lean: Lean, source: Any) -> Any:
    """The serialized value of a lean field, or ``_NOT_LEAN`` to take graphql-core's path
    (which then reports the error a value makes, with its path)."""
    read, kind, shape = lean
    try:
        value = read(source)
        if isinstance(kind, LeanObject):
            return _objects(kind, value, shape)
        if shape is ONE:
            return _serialized_leaf(kind, value)
        if value is None or value is Undefined:
            return None if shape is MAYBE or shape is MAYBE_LIST else _NOT_LEAN
        if shape is MAYBE:
            return _serialized_leaf(kind, value)
        if not isinstance(value, list | tuple):
            return _NOT_LEAN
        items = [_serialized_leaf(kind, item) for item in value]
    except Exception:  # graphql-core's own path reports it properly
        return _NOT_LEAN
    return _NOT_LEAN if any(item is _NOT_LEAN for item in items) else items


def _objects(kind: LeanObject, value: Any, shape: str) -> Any:
    if shape is OBJECT:
        return _object(kind, value)
    if not isinstance(value, list | tuple):
        return _NOT_LEAN
    rows = [_object(kind, item) for item in value]
    return _NOT_LEAN if any(row is _NOT_LEAN for row in rows) else rows


def _object(kind: LeanObject, value: Any) -> Any:
    """A non-null object's fields, or ``_NOT_LEAN``."""
    if value is None or value is Undefined:
        return _NOT_LEAN
    if kind.is_type_of is not None and kind.is_type_of(value, None) is not True:
        return _NOT_LEAN
    return _row(kind.fields, value)


def _row(fields: list[tuple[str, Lean]], source: Any) -> Any:
    """The object ``source`` makes of lean ``fields``, or ``_NOT_LEAN``."""
    row: dict[str, Any] = {}
    for name, lean in fields:
        value = _value(lean, source)
        if value is _NOT_LEAN:
            return _NOT_LEAN
        row[name] = value
    return row


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
        # Likewise one field's nodes for every item: whether it is lean, decided once.
        self._leans: dict[int, tuple[FieldDetailsList, GraphQLObjectType, Lean | None]] = {}
        manager = self.middleware_manager
        self._plain = manager is None or not manager.middlewares
        self._splice = self._plain and getattr(self.context_value, "splice", False) is True

    def _lean_set(
        self, parent_type: GraphQLObjectType, grouped: GroupedFieldSet
    ) -> list[tuple[str, Lean]] | None:
        found = self._lean_sets.get(id(grouped))
        if found is not None and found[0] is grouped:
            return found[1]
        fields = [
            (name, self._lean_field(parent_type, details)) for name, details in grouped.items()
        ]
        lean = (
            [(name, field) for name, field in fields if field is not None]
            if self._plain and all(field is not None for _, field in fields)
            else None
        )
        self._lean_sets[id(grouped)] = (grouped, lean)
        return lean

    def _lean_field(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> Lean | None:
        found = self._leans.get(id(details))
        if found is not None and found[0] is details and found[1] is parent_type:
            return found[2]
        lean = self._lean_of(parent_type, details)
        self._leans[id(details)] = (details, parent_type, lean)
        return lean

    def _lean_of(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> Lean | None:
        """A leaf field, or a field of ``O!`` or ``[O!]!`` whose selection is lean (no
        directive, no deferral), without a resolver of its own; else None."""
        field = _plain_field(parent_type, details)
        if field is None:
            return None
        leaf = _leaf_shape(field.type)
        if leaf is not None:
            return (_reader(field), *leaf)
        found = _object_shape(field.type)
        if found is None or any(d.node.directives for d in details):
            return None
        object_type, shape = found
        inner = self._lean_selection(object_type, details)
        return None if inner is None else (_reader(field), inner, shape)

    def _lean_selection(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> LeanObject | None:
        grouped, defers, _ = self.collect_subfields(object_type, details)
        fields = None if defers else self._lean_set(object_type, grouped)
        return None if fields is None else LeanObject(object_type.is_type_of, fields)

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
            row = _row(lean, source_value)
            if row is not _NOT_LEAN:
                return row  # type: ignore[no-any-return]
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
            and not self.get_stream_usage(field_details_list, path)
        ):
            lean = self._lean_selection(inner, field_details_list)
            if lean is not None:
                rows = _objects(lean, items, OBJECTS)
                if rows is not _NOT_LEAN:
                    return rows  # type: ignore[no-any-return]
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
            field = self._lean_field(parent_type, field_details_list)
            if field is not None:
                value = _value(field, source)
                if value is not _NOT_LEAN:
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
