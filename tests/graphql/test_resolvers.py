"""Straight resolvers get what strawberry's conversion would have given them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.permission import BasePermission

from gateway.graphql.resolvers import install_straight_resolvers
from gateway.graphql.schema import build_schema


@strawberry.enum
class Colour(Enum):
    RED = "red"


class Nobody(BasePermission):
    message = "no"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    name: str

    @strawberry.field
    async def echo(
        self,
        info: strawberry.Info,
        text: str,
        when: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        count: int | None = 3,
    ) -> str:
        assert info.field_name == "echo"
        return f"{self.name}:{text}:{when.isoformat() if when else None}:{count}"


def _root_name(root: Item) -> str:
    return root.name


@strawberry.type
class Query:
    @strawberry.field
    def item(self, name: str) -> Item:
        return Item(name=name)

    @strawberry.field
    def colour(self, colour: Colour) -> str:
        return str(colour.value)

    @strawberry.field
    def many(self, names: list[str]) -> int:
        return len(names)

    @strawberry.field(permission_classes=[Nobody])  # type: ignore[untyped-decorator]
    def guarded(self) -> str | None:
        return "secret"

    root_name: str = strawberry.field(resolver=_root_name)


QUERY = """query ($when: DateTime) {
  item(name: "a") { name
    one: echo(text: "x")
    two: echo(text: "y", from: $when, count: null)
    three: echo(text: "z", count: 5) }
  colour(colour: RED)
  many(names: ["p", "q"])
  guarded
  rootName
}"""


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    return strawberry.Schema(query=Query), strawberry.Schema(query=Query)


def test_only_fields_whose_arguments_need_no_conversion_are_straight() -> None:
    _, straight = _schemas()
    assert sorted(install_straight_resolvers(straight)) == [
        "Item.echo",
        "Query.item",
        "Query.rootName",
    ]


async def test_a_straight_resolver_answers_what_strawberrys_does() -> None:
    plain, straight = _schemas()
    install_straight_resolvers(straight)
    variables = {"when": "2026-03-02T09:00:00-05:00"}
    answers = [
        await schema.execute(QUERY, variables, root_value=Item(name="root"))
        for schema in (plain, straight)
    ]
    assert answers[0].data == answers[1].data
    assert answers[0].data is not None
    assert answers[0].data["item"]["two"] == "a:y:2026-03-02T09:00:00-05:00:None"
    assert answers[0].data["item"]["one"] == "a:x:None:3"
    assert answers[1].data is not None
    assert answers[1].data["rootName"] == "root"
    assert [str(e) for e in answers[0].errors or ()] == [str(e) for e in answers[1].errors or ()]


def _resolver(schema: strawberry.Schema, type_name: str, field: str) -> object:
    found = schema._schema.type_map[type_name]
    assert isinstance(found, GraphQLObjectType)
    return found.fields[field].resolve


def test_the_gateways_lean_schema_has_them_and_the_plain_one_not() -> None:
    lean, plain = build_schema(), build_schema(lean=False)
    straight = _resolver(lean, "MeetingLink", "availability")
    kept = _resolver(plain, "MeetingLink", "availability")
    assert getattr(straight, "__module__", None) == "gateway.graphql.resolvers"
    assert getattr(kept, "__module__", "").startswith("strawberry.")
    links = _resolver(lean, "Query", "meetingLinks")
    assert getattr(links, "__module__", "").startswith("strawberry.")
