"""The CPU a cached answer costs the app itself, in process: the gateway against a bare route.

Run from the project root::

    .venv/bin/python -m tests.bench.bench_edge [--requests 5000] [--rounds 8] [--source DIR]

A wrk figure holds the server's and the load generator's share of the machine beside the app's;
this takes them out. Each app is built in a fresh process, its lifespan run (the gateway warmed
up as ``serve`` does, logs configured as ``serve`` does, written to ``/dev/null``), then called
as an ASGI app with the first page of links as a POST to ``/graphql``: the gateway answering
from its response cache (the hit path: edge, persisted-query check, response cache, answer),
and a bare Starlette route returning the same number of bytes. The figure is CPU time
(``time.process_time``) per request, the best of ``--rounds`` rounds of ``--requests``.
``--source`` measures another checkout's gateway beside (say the code before a change).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.bench.bench_graphql import LINKS
from tests.support.harness import NOW

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, json, os, sys, time

BODY = json.loads(sys.argv[1]).encode()
KIND, REQUESTS, ROUNDS = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def scope(state):
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "root_path": "",
        "query_string": b"", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(BODY)).encode())],
        "state": dict(state),
    }


async def call(app, state):
    sent = []

    async def receive():
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message):
        sent.append(message)

    await app(scope(state), receive, send)
    # A server's loop turns between requests: what an answer leaves to it (a timer's handle
    # to close, a flush) is done there, and counted, rather than piling up until the end.
    await asyncio.sleep(0)
    return sent


async def measure(app, state):
    first = await call(app, state)
    assert first[0]["status"] == 200, first
    for _ in range(500):
        await call(app, state)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(REQUESTS):
            await call(app, state)
        best = min(best, (time.process_time() - started) / REQUESTS)
    return best, len(first[1]["body"])


def bare(size):
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = b"x" * size

    async def answer(request):
        await request.body()
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/graphql", answer, methods=["POST"])])


async def main():
    from gateway.app import create_app
    from gateway.settings import Settings

    try:
        from gateway.edge.logs import configure_logging
    except ImportError:
        from gateway.logs import configure_logging
    settings = Settings.from_environ(os.environ)
    configure_logging(settings.log_format, stream=open(os.devnull, "w"))
    try:
        app = create_app(settings, warm=True)
    except TypeError:  # a checkout without the warm-up
        app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        cpu, size = await measure(app, state)
    if KIND == "bare":
        bare_app = bare(size)
        async with bare_app.router.lifespan_context(bare_app):
            cpu, _ = await measure(bare_app, {})
    print(json.dumps({"cpu": cpu, "bytes": size}))


try:
    import uvloop
    uvloop.install()
except ImportError:
    pass
asyncio.run(main())
"""


def measured(root: Path, python: str, kind: str, args: argparse.Namespace) -> dict[str, float]:
    body = json.dumps({"query": LINKS[0], "variables": LINKS[1]})
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HUBSPOT_", "REDIS_", "SANDBOX_", "GATEWAY_", "PYTHONPATH"))
    }
    environ |= {"SANDBOX_NOW": NOW, "PYTHONPATH": str(root), "GATEWAY_LINKS_TTL": "600"}
    output = subprocess.run(
        [python, "-c", CHILD, json.dumps(body), kind, str(args.requests), str(args.rounds)],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--source", type=Path, help="another checkout to measure beside")
    parser.add_argument("--source-python", default=sys.executable)
    args = parser.parse_args()
    rows = [
        ("bare Starlette route, same bytes", measured(ROOT, sys.executable, "bare", args)),
        ("gateway, cached", measured(ROOT, sys.executable, "gateway", args)),
    ]
    if args.source is not None:
        other = measured(args.source.resolve(), args.source_python, "gateway", args)
        rows.append(("baseline gateway, cached", other))
    print(f"links, first 20 ({rows[1][1]['bytes']:,.0f} bytes): CPU per request, in process")
    for label, row in rows:
        print(f"  {label:34} {row['cpu'] * 1e6:7.1f} us")


if __name__ == "__main__":
    main()
