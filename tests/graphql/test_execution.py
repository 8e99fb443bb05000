"""The lean execution path answers exactly what graphql-core's own path answers."""

from __future__ import annotations

from collections import Counter
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
    ]
    lean, plain = build_schema(), build_schema(lean=False)
    for document, variables in queries:
        fast = await lean.execute(document, variables, context_value=context(gateway))
        slow = await plain.execute(document, variables, context_value=context(gateway))
        assert fast.errors is None
        assert fast.data == slow.data
        assert fast.data


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
