"""Throughput and latency of GraphQL queries against a bare Starlette endpoint, before and after.

Run from the project root (needs ``wrk``: ``apt-get install -y wrk``)::

    .venv/bin/python -m tests.bench.bench_graphql [--seconds 10] [--connections 8] [--runs 3]
        [--warm-seconds 2] [--cold-samples 5] [--baseline DIR --baseline-python PYTHON]

Every server is a real process on loopback; ``wrk`` drives it. For each query shape (the first
page of links; one month of availability, all durations) it measures, in one run:

- ``bare``: a Starlette route returning the very same JSON bytes on uvicorn (uvloop and
  httptools when installed: the same server stack as the gateway's);
- ``cached``: the gateway answering from its response cache (the hit path);
- ``executed``: the gateway with the response cache off, its data cache warm (every distinct
  range, zone or duration a visitor asks for: parse, validate, execute, serialize);
- ``executed, 2 workers``: the same with ``serve --workers 2``;
- with ``--baseline``, ``cached`` and ``executed`` of another checkout's gateway (say the code
  before a change: ``git worktree add /tmp/before <rev>``) run by ``--baseline-python`` (a
  virtualenv with that checkout's own dependencies), in the same run on the same machine.

Then the cold path: a fresh process's first month query, timed on a client (and connection)
built before the timed region, once the process is ready (``/readyz``), with and without Redis:
the booking page's own month query (its document as its code generator printed it, one
duration) and an ad-hoc document (all durations) the process never saw. Beside them, the
sandbox's own time for the upstream reads the month needs (a fresh sandbox process asked in
turn for the booking info, which embeds the first month's page, and the second month's page).
Then 100 identical concurrent cold queries to a fresh gateway, counting the calls its upstream
received.

Every measured ``wrk`` run follows an unmeasured one of ``--warm-seconds`` on the same server
(what a server meets after its first seconds; with ``serve --workers 2``, time for the second worker
to finish its own start, which the readiness probe, answered by either, does not wait for).
Each figure is the median of ``--runs`` runs. Ratios are against ``bare`` of the same run; the
numbers depend on the machine (and on what else runs on it), the ratios much less. The cold
samples are taken in rounds (the sandbox, then each gateway, in turn), so that a change in what
else the machine runs meets every figure alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from redis import Redis

from gateway.web.bundle import sent_documents
from tests.bench import mesh
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

SLUG = "mel-nelson"

# The booking page's month: its own document (as its code generator printed it), one duration,
# as it asks after a visitor picks.
(PAGE_MONTH_DOCUMENT,) = (d for d in sent_documents() if "query MeetingLinkAvailability(" in d)
PAGE_MONTH = (PAGE_MONTH_DOCUMENT, {**MONTH[1], "durationMinutes": 30})
# What a fresh process is first asked: the page's month, and a document it never saw.
FIRST_QUERIES = (("page's month", PAGE_MONTH), ("ad-hoc month", MONTH))
OWN_READS = "sandbox's own reads"

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


@dataclass(frozen=True)
class Source:
    """A gateway to measure: a checkout and the Python that runs it."""

    label: str
    root: Path
    python: str


@contextmanager
def server(args: list[str], environ: dict[str, str], port: int, cwd: Path = ROOT) -> Iterator[str]:
    process = subprocess.Popen(
        args, cwd=cwd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=5) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    client.get(f"{base}/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def environment(source: Source, extra: dict[str, str]) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HUBSPOT_", "REDIS_", "SANDBOX_", "GATEWAY_", "PYTHONPATH"))
    }
    return environ | {"SANDBOX_NOW": NOW, "PYTHONPATH": str(source.root), **extra}


def gateway(
    source: Source, response_cache: bool, workers: int = 1, redis: str | None = None
) -> tuple[list[str], dict[str, str], int]:
    port = free_port()
    environ = environment(
        source,
        {
            "GATEWAY_RESPONSE_CACHE": "true" if response_cache else "false",
            # Long enough that nothing expires during a run.
            "GATEWAY_LINKS_TTL": "600",
            "GATEWAY_BOOKING_INFO_TTL": "600",
            "GATEWAY_AVAILABILITY_TTL": "600",
            **({"REDIS_URL": redis} if redis else {}),
        },
    )
    command = [source.python, "-m", "gateway.cli", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    return command, environ, port


def wrk_after_warming(base: str, body: bytes, args: argparse.Namespace) -> dict[str, float]:
    """``wrk``'s figures for ``body`` on ``base``, after an unmeasured run of the same."""
    if args.warm_seconds > 0:
        wrk(base, body, args.warm_seconds, args.connections)
    return wrk(base, body, args.seconds, args.connections)


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


def post(client: httpx.Client, base: str, body: bytes) -> bytes:
    response = client.post(
        f"{base}/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    if response.status_code != 200 or b'"errors"' in response.content:
        raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
    return response.content


def until_ready(client: httpx.Client, base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{base} never became ready")


def cold_gateway(source: Source, redis: str | None, body: bytes) -> float:
    """Ms of a fresh gateway's first query, on a client and connection made before."""
    command, environ, port = gateway(source, response_cache=True, redis=redis)
    with (
        server(command, environ, port, cwd=source.root) as base,
        httpx.Client(timeout=30) as client,
    ):
        until_ready(client, base)
        started = time.perf_counter()
        post(client, base, body)
        return (time.perf_counter() - started) * 1000


def cold_sandbox(source: Source) -> float:
    """Ms a fresh sandbox takes to answer the reads the month query needs, one after another."""
    port = free_port()
    command = [source.python, "-m", "gateway.cli", "sandbox", "--port", str(port)]
    links = f"http://127.0.0.1:{port}/scheduler/2026-09/meetings/meeting-links"
    slug = SLUG
    with (
        server(command, environment(source, {}), port, cwd=source.root),
        httpx.Client(timeout=30) as client,
    ):
        client.get(links, params={"limit": 100})  # what the gateway's readiness read does
        started = time.perf_counter()
        # The booking info embeds the first month's page; the second month has its own.
        client.get(f"{links}/book/{slug}", params={"timezone": "UTC"})
        client.get(
            f"{links}/book/availability-page/{slug}",
            params={"timezone": "UTC", "monthOffset": "1"},
        )
        return (time.perf_counter() - started) * 1000


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


def throughput(
    source: Source, response_cache: bool, body: bytes, args: argparse.Namespace, workers: int = 1
) -> tuple[bytes, dict[str, float]]:
    command, environ, port = gateway(source, response_cache, workers)
    with server(command, environ, port, cwd=source.root) as base, httpx.Client(timeout=30) as c:
        until_ready(c, base)
        answer = post(c, base, body)  # data (and the response) cached
        return answer, wrk_after_warming(base, body, args)


def bare(answer: bytes, body: bytes, scratch: str, args: argparse.Namespace) -> dict[str, float]:
    payload = Path(scratch) / "body.json"
    payload.write_bytes(answer)
    port = free_port()
    (Path(scratch) / "bare_app.py").write_text(BARE_APP.replace("BODY_PATH", repr(str(payload))))
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--app-dir",
        scratch,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with server(command, dict(os.environ), port) as base:
        return wrk_after_warming(base, body, args)


SHAPES = {"links, first 20": "links", "availability, one month": "month"}


def mesh_rows(folder: Path, args: argparse.Namespace) -> dict[tuple[str, str], dict[str, float]]:
    """Mesh + Hive Gateway, with its response cache and without, on a standalone sandbox."""
    rows: dict[tuple[str, str], dict[str, float]] = {}
    port = free_port()
    sandbox = [sys.executable, "-m", "gateway.cli", "sandbox", "--port", str(port)]
    bodies = {"links": mesh.body(mesh.LINKS), "month": mesh.body(mesh.MONTH, {"slug": SLUG})}
    with server(sandbox, environment(Source("", ROOT, ""), {}), port) as upstream:
        for cached in (True, False):
            port = free_port()
            command = mesh.command(folder, port, cached)
            with server(command, mesh.environment(upstream), port, cwd=folder) as base:
                for label, name in SHAPES.items():
                    with httpx.Client(timeout=30) as client:
                        post(client, base, bodies[name])
                    path = "mesh + hive, response cache" if cached else "mesh + hive, no cache"
                    rows[(label, path)] = wrk_after_warming(base, bodies[name], args)
    return rows


def one_run(
    sources: list[Source], args: argparse.Namespace, scratch: str, mesh_folder: Path | None
) -> dict[tuple[str, str], dict[str, float]]:
    """One measurement of every row: (shape, path) -> wrk's figures."""
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for label, shape in (("links, first 20", LINKS), ("availability, one month", MONTH)):
        body = request_body(shape)
        answers = []
        for source in sources:
            for path, cache in (("cached", True), ("executed", False)):
                answer, rows[(label, f"{source.label} {path}")] = throughput(
                    source, cache, body, args
                )
                answers.append(answer)
        _, rows[(label, f"{sources[0].label} executed, 2 workers")] = throughput(
            sources[0], False, body, args, workers=2
        )
        rows[(label, "bare")] = bare(answers[0], body, scratch, args)
        rows[(label, "size")] = {"bytes": len(answers[0]), "slots": answers[0].count(b'"end"')}
    if mesh_folder is not None:
        rows |= mesh_rows(mesh_folder, args)
    return rows


def median_rows(
    runs: list[dict[tuple[str, str], dict[str, float]]],
) -> dict[tuple[str, str], dict[str, float]]:
    return {
        key: {field: statistics.median(run[key][field] for run in runs) for field in runs[0][key]}
        for key in runs[0]
    }


def report(rows: dict[tuple[str, str], dict[str, float]], runs: int) -> None:
    shapes = dict.fromkeys(shape for shape, _ in rows)
    for shape in shapes:
        size = rows[(shape, "size")]
        print(
            f"\n{shape}: {size['bytes']:,.0f} bytes, {size['slots']:.0f} slots (medians of {runs})"
        )
        base = rows[(shape, "bare")]["rps"]
        for (row_shape, path), result in rows.items():
            if row_shape != shape or path == "size":
                continue
            print(
                f"  {path:30} {result['rps']:9.0f} req/s  p50 {result['p50']:7.2f} ms"
                f"  p99 {result['p99']:7.2f} ms  ratio to bare {result['rps'] / base:.3f}"
                f"  non-2xx {result['errors']:.0f}"
            )


def cold_report(sources: list[Source], samples: int, scratch: str) -> None:
    from tests.support.redis_server import RedisServer

    (Path(scratch) / "redis").mkdir()
    redis_server = RedisServer(Path(scratch) / "redis")
    redis_server.start()
    rows = [
        (f"{source.label}, {query}, {label}", source, redis, request_body(shape))
        for source in sources
        for query, shape in FIRST_QUERIES
        for label, redis in (("no Redis", None), ("Redis", redis_server.url))
    ]
    try:
        sandbox: list[float] = []
        figures: dict[str, list[float]] = {label: [] for label, _, _, _ in rows}
        for _ in range(samples):
            sandbox.append(cold_sandbox(sources[0]))
            for label, source, redis, body in rows:
                if redis is not None:
                    # The bench's own server: emptied, so nothing is cached for the next.
                    Redis.from_url(redis).flushall()
                figures[label].append(cold_gateway(source, redis, body))
    finally:
        redis_server.stop()
    print(f"\ncold: a fresh process's first month query (median of {samples} rounds, ms)")
    own = statistics.median(sandbox)
    print(f"  {OWN_READS:42} {own:7.1f}")
    for label, values in figures.items():
        first = statistics.median(values)
        print(f"  {label:42} {first:7.1f}  ({first - own:+.1f} on the sandbox's own)")


def prepared_mesh(scratch: str) -> Path | None:
    folder = Path(scratch) / "mesh"
    folder.mkdir()
    reason = mesh.unavailable() or mesh.install(folder)
    if reason is not None:
        print(reason)
        return None
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm-seconds", type=int, default=2)
    parser.add_argument("--cold-samples", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside")
    parser.add_argument("--baseline-python", default=sys.executable)
    parser.add_argument("--cold-only", action="store_true", help="only the cold path")
    parser.add_argument("--no-mesh", action="store_true", help="skip Mesh + Hive Gateway")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    sources = [Source("gateway", ROOT, sys.executable)]
    if args.baseline is not None:
        sources.append(Source("baseline", args.baseline.resolve(), args.baseline_python))
    with tempfile.TemporaryDirectory() as scratch:
        mesh_folder = None if args.no_mesh or args.cold_only else prepared_mesh(scratch)
        if not args.cold_only:
            runs = [one_run(sources, args, scratch, mesh_folder) for _ in range(args.runs)]
            report(median_rows(runs), args.runs)
        cold_report(sources, args.cold_samples, scratch)
    calls = asyncio.run(upstream_calls_for_identical_burst(100))
    print(f"\n100 identical concurrent cold month queries -> upstream calls: {calls}")


if __name__ == "__main__":
    main()
