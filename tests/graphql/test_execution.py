"""The lean execution path answers exactly what graphql-core's own path answers."""

from __future__ import annotations

import json
from collections import Counter
from enum import Enum
from typing import Any, ClassVar

import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.graphql.context import Context, ReadLog
from gateway.graphql.execution import LeanExecutionContext
from gateway.graphql.loaders import Loaders
from gateway.graphql.schema import build_schema
from tests.support.harness import Gateway, operation


def context(gateway: Gateway) -> Context:
    service = gateway.runtime.service
    reads = ReadLog()
    return Context(service=service, loaders=Loaders(service, reads), request_id="test", reads=reads)


async def test_the_graph_answers_the_same_either_way(gateway: Gateway) -> None:
    queries: list[tuple[str, dict[str, Any]]] = [
        (
            operation("MeetingLinkAvailability"),
            {"slug": "acme-team/group-review", "timeZone": "Asia/Kolkata"},
        ),
        (
            operation("MeetingLinkBookingInfo"),
            {"slug": "lena-fischer/product-demo", "timeZone": "Europe/Berlin"},
        ),
        (operation("ListMeetingLinks"), {"first": 30}),
        (operation("BookingPage"), {"slug": "mel-nelson", "timeZone": "America/New_York"}),
        (
            operation("EarliestSlot"),
            {"slugs": ["mel-nelson", "acme-team/group-review"], "timeZone": "Asia/Tokyo"},
        ),
    ]
    lean, plain = build_schema(), build_schema(lean=False)
    for document, variables in queries:
        fast = await lean.execute(document, variables, context_value=context(gateway))
        slow = await plain.execute(document, variables, context_value=context(gateway))
        assert fast.errors is None
        assert fast.data
        # The same bytes: the same values, keys in the same order.
        assert json.dumps(fast.data) == json.dumps(slow.data)


@strawberry.type
class Row:
    count: int
    label: str


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row]:
        # A value that breaks Int! and a None in a String!: both must fail as graphql-core
        # says, with the same paths.
        return [Row(count=1, label="a"), Row(count="x", label="b"), Row(count=3, label=None)]  # type: ignore[arg-type]


async def test_bad_values_fail_exactly_as_graphql_core_says() -> None:
    lean = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    plain = strawberry.Schema(query=Query)
    fast = await lean.execute("{ rows { count label } }")
    slow = await plain.execute("{ rows { count label } }")
    assert fast.data == slow.data
    assert fast.errors is not None
    assert slow.errors is not None
    assert [(e.message, e.path) for e in fast.errors] == [(e.message, e.path) for e in slow.errors]


class GraphQLCoreCalls(StrawberryGraphQLCoreExecutionContext):
    """Sits under the lean context in the method order: counts what reaches graphql-core."""

    calls: ClassVar[Counter[str]] = Counter()

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["execute_field"] += 1
        return super().execute_field(*args, **kwargs)

    def execute_fields(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["execute_fields"] += 1
        return super().execute_fields(*args, **kwargs)

    def complete_iterable_value(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["complete_iterable_value"] += 1
        return super().complete_iterable_value(*args, **kwargs)


class Canary(LeanExecutionContext, GraphQLCoreCalls):
    pass


@strawberry.type
class Rows:
    @strawberry.field
    def rows(self) -> list[Row]:
        return [Row(count=number, label=str(number)) for number in range(500)]


async def test_the_lean_path_is_taken() -> None:
    # Fails when a strawberry or graphql-core upgrade stops routing execution through the
    # lean overrides: then the 500 rows and their 1,000 fields reach graphql-core.
    Canary.calls = Counter()
    schema = strawberry.Schema(query=Rows, execution_context_class=Canary)
    result = await schema.execute("{ rows { count label } }")
    assert result.errors is None
    assert result.data is not None
    assert len(result.data["rows"]) == 500
    # The root selection and its one field take graphql-core's path; the list and rows do not.
    assert Canary.calls == Counter({"execute_fields": 1, "execute_field": 1})


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Leaves:
    colour: Colour
    note: str | None
    tags: list[str]
    maybe_tags: list[str] | None


@strawberry.type
class Card(Named):
    leaves: Leaves
    more: list[Leaves]


@strawberry.type
class Stranger:
    name: str


@strawberry.type
class Holder:
    card: Card


def cards(good: bool) -> list[Card]:
    fine = Leaves(colour=Colour.RED, note=None, tags=["a", "b"], maybe_tags=None)
    bad = [
        Leaves(colour="green", note="x", tags=[], maybe_tags=[]),  # type: ignore[arg-type]
        Leaves(colour=Colour.BLUE, note=None, tags=["a", None], maybe_tags=None),  # type: ignore[list-item]
        Leaves(colour=Colour.BLUE, note=3, tags="ab", maybe_tags=[None]),  # type: ignore[arg-type, list-item]
        Leaves(colour=Colour.RED, note=None, tags=None, maybe_tags=None),  # type: ignore[arg-type]
    ]
    made = [Card(name=f"card {n}", leaves=fine, more=[fine, fine]) for n in range(3)]
    if not good:
        made += [Card(name="bad", leaves=leaves, more=[fine, leaves]) for leaves in bad]
        made.append(Card(name="stranger", leaves=Stranger(name="s"), more=[]))  # type: ignore[arg-type]
        made.append(Card(name="missing", leaves=None, more=[fine]))  # type: ignore[arg-type]
    return made


@strawberry.type
class Cards:
    @strawberry.field
    def good(self) -> list[Card]:
        return cards(True)

    @strawberry.field
    def mixed(self) -> list[Card | None]:
        return cards(False)  # type: ignore[return-value]

    @strawberry.field
    def held(self) -> list[Holder | None]:
        return [Holder(card=cards(True)[0]), Holder(card=Stranger(name="s"))]  # type: ignore[arg-type]

    @strawberry.field
    def one(self) -> Card:
        return cards(True)[0]


CARD = "name leaves { colour note tags maybeTags } more { tags colour }"


async def test_enums_nulls_lists_and_objects_answer_as_graphql_core_does() -> None:
    lean = strawberry.Schema(
        query=Cards, types=[Card], execution_context_class=LeanExecutionContext
    )
    plain = strawberry.Schema(query=Cards, types=[Card])
    for query in (
        f"{{ good {{ {CARD} }} one {{ {CARD} }} }}",
        f"{{ mixed {{ {CARD} }} }}",
        "{ mixed { leaves { colour } } }",
        "{ held { card { name } } }",
        "{ good { leaves { __typename colour } more { ... on Leaves { tags } } } }",
    ):
        fast = await lean.execute(query)
        slow = await plain.execute(query)
        assert json.dumps(fast.data) == json.dumps(slow.data), query
        assert [(e.message, e.path) for e in fast.errors or []] == [
            (e.message, e.path) for e in slow.errors or []
        ], query
    mixed = await plain.execute(f"{{ mixed {{ {CARD} }} }}")
    assert mixed.errors is not None
    # Each bad card is null with its one error: a bad enum, a null in, a string for and a null
    # for a list, an object without the field, a missing object.
    assert len(mixed.errors) == 6
    held = await plain.execute("{ held { card { name } } }")
    assert held.data == {"held": [{"card": {"name": "card 0"}}, None]}
    assert held.errors is not None
    assert held.errors[0].message.startswith("Expected value of type 'Card'")


async def test_a_selection_of_leaves_and_objects_takes_the_lean_path() -> None:
    Canary.calls = Counter()
    schema = strawberry.Schema(query=Cards, types=[Card], execution_context_class=Canary)
    result = await schema.execute(f"{{ good {{ {CARD} }} }}")
    assert result.errors is None
    assert result.data is not None
    assert len(result.data["good"]) == 3
    # Only the root and its one field take graphql-core's path: the three cards, their
    # objects and lists of objects are built by the lean one.
    assert Canary.calls == Counter({"execute_fields": 1, "execute_field": 1})
