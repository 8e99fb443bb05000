"""The garbage collector's time per executed request, and what raising its thresholds costs.

Run from the project root::

    .venv/bin/python -m tests.bench.bench_garbage [--requests 300] [--runs 3]

Each configuration runs in a fresh process: the gateway in process on its embedded sandbox,
response cache off (every request executed, data cached), driven through httpx's ASGI
transport. ``default`` is CPython's collector as it comes; ``settled`` is what a serving
process does after its warm-up (``gateway.garbage.settle``: collect, ``gc.freeze()``, raised
thresholds). Reported per request: the collector's time (every collection timed through
``gc.callbacks``, so it is not missed the way sampling profilers miss it), collections of the
old generation, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from tests.bench.bench_graphql import LINKS, MONTH, request_body
from tests.support.harness import running_gateway

SHAPES: dict[str, tuple[str, dict[str, Any]]] = {"links": LINKS, "month": MONTH}


async def measure(settled: bool, requests: int) -> dict[str, Any]:
    from gateway.garbage import settle

    spent = [0.0, 0.0]  # total ns, start of the current collection
    old = [0]

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            spent[1] = time.perf_counter_ns()
            return
        spent[0] += time.perf_counter_ns() - spent[1]
        old[0] += info["generation"] == 2

    results: dict[str, Any] = {}
    async with running_gateway({"GATEWAY_RESPONSE_CACHE": "false"}) as gateway:
        headers = {"Content-Type": "application/json"}
        for shape in SHAPES.values():  # data cached, documents validated
            await gateway.http.post("/graphql", content=request_body(shape), headers=headers)
        if settled:
            settle()
        for name, shape in SHAPES.items():
            body = request_body(shape)
            spent[0], old[0] = 0.0, 0
            gc.callbacks.append(timed)
            started = time.perf_counter()
            for _ in range(requests):
                await gateway.http.post("/graphql", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            gc.callbacks.remove(timed)
            results[name] = {
                "ms_per_request": elapsed / requests * 1000,
                "gc_ms_per_request": spent[0] / requests / 1e6,
                "old_collections": old[0],
            }
    results["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def run(settled: bool, requests: int) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.bench_garbage",
            "--child",
            str(int(settled)),
            "--requests",
            str(requests),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, Any] = json.loads(output.splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=int, choices=[0, 1])
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(asyncio.run(measure(bool(args.child), args.requests))))
        return
    for label, settled in (("default", False), ("settled", True)):
        runs = [run(settled, args.requests) for _ in range(args.runs)]
        rss = statistics.median(r["max_rss_mib"] for r in runs)
        print(f"{label}: peak RSS {rss:.0f} MiB (median of {args.runs})")
        for name in SHAPES:
            med = {k: statistics.median(r[name][k] for r in runs) for k in runs[0][name]}
            print(
                f"  {name:6} {med['ms_per_request']:6.2f} ms/request, collector "
                f"{med['gc_ms_per_request']:5.3f} ms/request, "
                f"{med['old_collections']:.0f} old-generation collections in {args.requests}"
            )


if __name__ == "__main__":
    main()
