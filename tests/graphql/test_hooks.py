"""The hook runner enters and leaves extension hooks as strawberry's own runner does."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from gateway.graphql.hooks import HookRunner
from gateway.graphql.schema import GatewaySchema


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


class Recording(SchemaExtension):
    """Notes each hook it enters and leaves in ``calls``."""

    calls: list[str]

    def __init__(self, calls: list[str], name: str) -> None:
        super().__init__()
        self.calls = calls
        self.name = name

    def on_operation(self) -> Iterator[None]:
        self.calls.append(f"{self.name} operation in")
        yield
        self.calls.append(f"{self.name} operation out")

    def on_parse(self) -> Iterator[None]:
        self.calls.append(f"{self.name} parse in")
        yield
        self.calls.append(f"{self.name} parse out")

    def on_validate(self) -> Iterator[None]:
        self.calls.append(f"{self.name} validate in")
        yield
        self.calls.append(f"{self.name} validate out")

    def on_execute(self) -> Iterator[None]:
        self.calls.append(f"{self.name} execute in")
        yield
        self.calls.append(f"{self.name} execute out")


class Swallowing(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        with contextlib.suppress(KeyError):
            yield


class Replacing(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except KeyError as exc:
            raise ValueError("replaced") from exc


class AsyncHook(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield


def _runners(extensions: list[SchemaExtension]) -> list[SchemaExtensionsRunner]:
    context = ExecutionContext(query="{ hello }", schema=schema, allowed_operations=())
    return [
        SchemaExtensionsRunner(execution_context=context, extensions=extensions),
        HookRunner(execution_context=context, extensions=extensions),
    ]


schema = GatewaySchema(query=Query)


async def test_hooks_run_in_order_and_unwind_in_reverse() -> None:
    seen = []
    for runner in _runners([]):
        calls: list[str] = []
        runner.extensions = [Recording(calls, "a"), Recording(calls, "b")]
        async with runner.operation():
            async with runner.parsing():
                calls.append("parsing")
            with runner.validation():
                calls.append("validating")
            async with runner.executing():
                calls.append("executing")
        seen.append(calls)
    assert seen[0] == seen[1]
    assert seen[1][:2] == ["a operation in", "b operation in"]
    assert seen[1][-2:] == ["b operation out", "a operation out"]


async def test_an_error_reaches_each_hook_and_a_hook_may_keep_it_from_the_older_ones() -> None:
    for runner in _runners([]):
        calls: list[str] = []
        runner.extensions = [Recording(calls, "outer"), Swallowing(), Recording(calls, "inner")]
        # Strawberry's stage leaves with the error all the same.
        with pytest.raises(KeyError):
            async with runner.operation():
                raise KeyError("boom")
        # The inner hook saw the error (no "out"), the outer one ran on as if none happened.
        assert calls == ["outer operation in", "inner operation in", "outer operation out"]


@pytest.mark.parametrize("which", [0, 1])
async def test_a_hook_may_replace_the_error(which: int) -> None:
    runner = _runners([Replacing()])[which]
    with pytest.raises(ValueError, match="replaced") as raised:
        async with runner.operation():
            raise KeyError("boom")
    assert isinstance(raised.value.__cause__, KeyError)


async def test_a_stage_with_an_async_hook_is_strawberrys_own() -> None:
    (_, runner) = _runners([AsyncHook()])
    stage = runner.operation()
    assert type(stage).__module__.startswith("strawberry.")
    async with stage:
        pass


async def test_the_gateway_schema_runs_with_it() -> None:
    calls: list[str] = []
    gateway = GatewaySchema(query=Query, extensions=[lambda: Recording(calls, "x")])
    result = await gateway.execute("{ hello }")
    assert result.data == {"hello": "hi"}
    assert calls == [
        "x operation in",
        "x parse in",
        "x parse out",
        "x validate in",
        "x validate out",
        "x execute in",
        "x execute out",
        "x operation out",
    ]
