"""Throughput and latency of cached GraphQL queries against a bare Starlette endpoint.

Run from the project root (needs ``wrk``: ``apt-get install -y wrk``)::

    .venv/bin/python -m tests.bench.bench_graphql [--seconds 10] [--connections 8]

Every server is a real ``uvicorn`` process with one worker on loopback; ``wrk`` drives it.
For each query shape (the first page of links; one month of availability, all durations) it
measures, in one run:

- ``bare``: a Starlette route returning the very same JSON bytes (the ceiling);
- ``cached``: the gateway answering from its response cache (the hit path);
- ``executed``: the gateway with the response cache off, its data cache warm (the path every
  first query of a document takes: parse, validate, execute, serialize);
- ``cold``: single requests whose upstream data is not cached yet (mean of N).

It then sends 100 identical concurrent cold queries to a fresh gateway and counts the calls
its upstream received. Ratios are against ``bare`` of the same run; the numbers depend on
the machine, the ratios much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.harness import NOW, operation, running_gateway

ROOT = Path(__file__).resolve().parents[2]
LINKS = (operation("ListMeetingLinks"), {"first": 20})
MONTH = (
    """query Month($slug: String!, $timeZone: TimeZone!, $from: DateTime, $to: DateTime) {
  meetingLink(slug: $slug) {
    availability(timeZone: $timeZone, from: $from, to: $to) {
      hasMore
      slots { start end durationMinutes }
    }
  }
}""",
    {
        "slug": "mel-nelson",
        "timeZone": "America/New_York",
        "from": "2026-03-02T00:00:00-05:00",
        "to": "2026-04-01T00:00:00-04:00",
    },
)

BARE_APP = """
from pathlib import Path
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(BODY_PATH).read_bytes()

async def answer(request):
    await request.body()
    return Response(BODY, media_type="application/json")

app = Starlette(routes=[Route("/graphql", answer, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(args: list[str], environ: dict[str, str], port: int, cwd: Path = ROOT) -> Iterator[str]:
    process = subprocess.Popen(
        args, cwd=cwd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/graphql", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def gateway(response_cache: bool) -> tuple[list[str], dict[str, str], int]:
    port = free_port()
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HUBSPOT_", "REDIS_", "SANDBOX_", "GATEWAY_"))
    }
    environ |= {
        "SANDBOX_NOW": NOW,
        "GATEWAY_RESPONSE_CACHE": "true" if response_cache else "false",
        # Long enough that nothing expires during a run.
        "GATEWAY_LINKS_TTL": "600",
        "GATEWAY_BOOKING_INFO_TTL": "600",
        "GATEWAY_AVAILABILITY_TTL": "600",
    }
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)]
    return command, environ, port


def wrk(base: str, body: bytes, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body.decode())}\n"
        )
    try:
        output = subprocess.run(
            [
                "wrk",
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                f"{base}/graphql",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rate,
        "p50": _millis(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),  # type: ignore[union-attr]
        "p99": _millis(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),  # type: ignore[union-attr]
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _millis(value: str) -> float:
    number = float(re.match(r"[\d.]+", value).group(0))  # type: ignore[union-attr]
    unit = value[len(re.match(r"[\d.]+", value).group(0)) :]  # type: ignore[union-attr]
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def request_body(shape: tuple[str, dict[str, Any]]) -> bytes:
    return json.dumps({"query": shape[0], "variables": shape[1]}).encode()


def cold_latency(shape: tuple[str, dict[str, Any]], samples: int) -> float:
    """Mean ms of a first query on a fresh gateway: nothing cached, upstream in process."""
    total = 0.0
    for _ in range(samples):
        command, environ, port = gateway(response_cache=True)
        with server(command, environ, port) as base:
            started = time.perf_counter()
            httpx.post(
                f"{base}/graphql",
                content=request_body(shape),
                timeout=30,
                headers={"Content-Type": "application/json"},
            )
            total += time.perf_counter() - started
    return total / samples * 1000


async def upstream_calls_for_identical_burst(count: int) -> dict[str, int]:
    async with running_gateway() as running:
        body = request_body(MONTH)
        await asyncio.gather(
            *(
                running.http.post(
                    "/graphql", content=body, headers={"Content-Type": "application/json"}
                )
                for _ in range(count)
            )
        )
        return await running.calls()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--cold-samples", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    rows: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for label, shape in (("links, first 20", LINKS), ("availability, one month", MONTH)):
            body = request_body(shape)
            command, environ, port = gateway(response_cache=True)
            with server(command, environ, port) as base:
                answer = httpx.post(
                    f"{base}/graphql",
                    content=body,
                    timeout=30,
                    headers={"Content-Type": "application/json"},
                ).content
                assert b'"errors"' not in answer, answer[:500]
                cached = wrk(base, body, args.seconds, args.connections)
            command, environ, port = gateway(response_cache=False)
            with server(command, environ, port) as base:
                httpx.post(
                    f"{base}/graphql",
                    content=body,
                    timeout=30,
                    headers={"Content-Type": "application/json"},
                )
                executed = wrk(base, body, args.seconds, args.connections)
            payload = Path(scratch) / "body.json"
            payload.write_bytes(answer)
            bare_port = free_port()
            bare_module = Path(scratch) / "bare_app.py"
            bare_module.write_text(BARE_APP.replace("BODY_PATH", repr(str(payload))))
            bare_command = [
                sys.executable,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--app-dir",
                scratch,
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
            ]
            with server(bare_command, dict(os.environ), bare_port) as base:
                bare = wrk(base, body, args.seconds, args.connections)
            cold = cold_latency(shape, args.cold_samples)
            slots = answer.count(b'"durationMinutes"')
            print(f"\n{label}: {len(answer):,} bytes, {slots} slots")
            for name, result in (("bare", bare), ("cached", cached), ("executed", executed)):
                rows.append((label, name, result))
                ratio = result["rps"] / bare["rps"]
                print(
                    f"  {name:9} {result['rps']:9.0f} req/s  p50 {result['p50']:7.2f} ms"
                    f"  p99 {result['p99']:7.2f} ms  ratio to bare {ratio:.3f}"
                    f"  non-2xx {result['errors']:.0f}"
                )
            print(f"  cold      first query {cold:7.1f} ms (mean of {args.cold_samples})")
    calls = asyncio.run(upstream_calls_for_identical_burst(100))
    print(f"\n100 identical concurrent cold month queries -> upstream calls: {calls}")


if __name__ == "__main__":
    main()
