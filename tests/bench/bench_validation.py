"""What a document costs before execution: parse, validation rules and the request limits.

Run from the project root::

    .venv/bin/python -m tests.bench.bench_validation [--repeat 5] [--only NAME,...] [--rules]

Every document of ``tests.graphql.worst_cases`` (each as large as the token limit allows)
goes through the gateway's own schema with the default settings, exactly as a request's
document does, except that execution is skipped: what is timed is everything before it.
Each repetition sends the document with different leading whitespace, so neither the parse
nor the validation cache answers it. The figure per document is its median time; ratios are
against the median of ``{ __typename }`` in the same run. ``--rules`` also times each of
graphql-core's standard rules alone on every document.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Iterator
from typing import Any

from graphql import parse, specified_rules, validate
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from gateway.graphql.schema import build_schema
from gateway.settings import Settings
from tests.graphql.worst_cases import MAX_TOKENS, Case, tiny, worst_cases


class SkipExecution(SchemaExtension):
    """Answers in place of execution: strawberry executes only when no result is set yet."""

    def on_execute(self) -> Iterator[None]:
        self.execution_context.result = ExecutionResult(data=None, errors=None)
        yield


async def timed(schema: Any, case: Case, repeat: int) -> tuple[float, list[str]]:
    times: list[float] = []
    codes: list[str] = []
    for run in range(repeat):
        document = " " * run + case.document  # whitespace: no token, yet another document
        started = time.perf_counter()
        result = await schema.execute(
            document, variable_values=case.variables, operation_name=case.operation
        )
        times.append(time.perf_counter() - started)
        codes = sorted({(e.extensions or {}).get("code", e.message) for e in result.errors or []})
    return statistics.median(times), codes


def rule_times(schema: Any, case: Case) -> list[tuple[str, float]]:
    document = parse(case.document, max_tokens=MAX_TOKENS)
    found = []
    for rule in specified_rules:
        started = time.perf_counter()
        validate(schema._schema, document, [rule])
        found.append((rule.__name__, time.perf_counter() - started))
    return sorted(found, key=lambda item: -item[1])[:3]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--rules", action="store_true")
    args = parser.parse_args()
    schema = build_schema(settings=Settings())
    schema.extensions = (*schema.extensions, SkipExecution)
    only = {name for name in args.only.split(",") if name}
    cases = [c for c in worst_cases() if not only or c.name in only]
    baseline, _ = await timed(schema, Case("tiny", tiny()), max(args.repeat, 21))
    print(f"baseline {{ __typename }}: {baseline * 1000:.3f} ms")
    print(f"{'document':28} {'bytes':>6} {'ms':>9} {'ratio':>8}  answer")
    worst = 0.0
    for case in cases:
        median, codes = await timed(schema, case, args.repeat)
        worst = max(worst, median)
        answer = ",".join(codes) or "valid"
        print(
            f"{case.name:28} {len(case.document):6} {median * 1000:9.2f} "
            f"{median / baseline:8.0f}  {answer}"
        )
        if args.rules:
            for name, seconds in rule_times(schema, case):
                print(f"    {name:40} {seconds * 1000:9.2f} ms")
    print(f"worst: {worst * 1000:.2f} ms, {worst / baseline:.0f}x the baseline")


if __name__ == "__main__":
    asyncio.run(main())
