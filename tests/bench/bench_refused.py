"""The cost of a refused request: junk bodies against a tiny one, refused and let in.

Run from the project root::

    .venv/bin/python -m tests.bench.bench_refused [--requests 300] [--source DIR]

Each gateway is a real ``uvicorn`` process with one worker on loopback. One ``httpx.Client``
(keep-alive), built before any timing, sends each body ``--requests`` times in a row after a
warm-up; the figure is the mean time per request. Bodies, all within
``GATEWAY_MAX_BODY_BYTES`` (64 KB):

- ``tiny``: ``{ __typename }``, the baseline;
- ``tokens``: a 60 KB document of ``{ a a a ... }`` (far past ``GATEWAY_MAX_TOKENS``);
- ``deep JSON``: ``{ __typename }`` with 60 KB of nested arrays as a variable.

Paths: ``401`` (API keys configured, none sent), ``authorized`` (the key sent) and ``open``
(no keys configured). Ratios are against ``tiny`` on the same path in the same run; the
numbers depend on the machine, the ratios much less. ``--source`` runs the gateway package
found in another checkout (to measure a change against the code before it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.bench.bench_graphql import free_port, server
from tests.support.harness import NOW

ROOT = Path(__file__).resolve().parents[2]
KEY = "key-bench-0123456789"
SIZE = 60_000
COUNTER = b"000000"


def bodies() -> dict[str, bytes]:
    """Each with a ``COUNTER`` that every request replaces, so that no cache of parsed
    documents makes a repeat cheaper than a client's fresh junk would be."""
    tiny = json.dumps({"query": f"query Q{COUNTER.decode()} {{ __typename }}"}).encode()
    tokens = json.dumps({"query": "{ " + "a " * (SIZE // 2) + f"b{COUNTER.decode()} }}"}).encode()
    depth = SIZE // 2
    deep = tiny[:-1] + b', "variables": {"a": ' + b"[" * depth + b"]" * depth + b"}}"
    return {"tiny": tiny, "tokens": tokens, "deep JSON": deep}


def gateway(source: Path, keys: bool) -> tuple[list[str], dict[str, str], int]:
    port = free_port()
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HUBSPOT_", "REDIS_", "SANDBOX_", "GATEWAY_", "PYTHONPATH"))
    }
    environ |= {"SANDBOX_NOW": NOW, "PYTHONPATH": str(source)}
    if keys:
        environ["GATEWAY_API_KEYS"] = f"bench:{KEY}:100000000"
    command = [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)]
    return command, environ, port


def answer(client: httpx.Client, url: str, content: bytes, headers: dict[str, str]) -> str:
    """The status, or "dropped" when the connection was closed without one."""
    try:
        return str(client.post(url, content=content, headers=headers).status_code)
    except httpx.TransportError:
        return "dropped"


def per_request(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], count: int
) -> tuple[float, str]:
    """Mean ms per request, and the statuses they got."""
    warm = max(10, count // 10)
    sent = [body.replace(COUNTER, b"%06d" % index) for index in range(warm + count)]
    for content in sent[:warm]:
        answer(client, url, content, headers)
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    for content in sent[warm:]:
        statuses[answer(client, url, content, headers)] += 1
    elapsed = time.perf_counter() - started
    return elapsed / count * 1000, ", ".join(f"{n}x {s}" for s, n in sorted(statuses.items()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--source", type=Path, default=ROOT)
    args = parser.parse_args()
    sent = bodies()
    print(
        f"gateway from {args.source}; bodies: "
        + ", ".join(f"{k} {len(v):,} B" for k, v in sent.items())
    )
    paths = (("401", True, False), ("authorized", True, True), ("open", False, False))
    for label, keys, send_key in paths:
        command, environ, port = gateway(args.source, keys)
        # The server's cwd is the source, so that `-m gateway.cli` imports that checkout.
        with (
            server(command, environ, port, cwd=args.source) as base,
            httpx.Client(timeout=60) as client,
        ):
            headers = {"content-type": "application/json"}
            if send_key:
                headers["x-api-key"] = KEY
            results = {
                name: per_request(client, f"{base}/graphql", body, headers, args.requests)
                for name, body in sent.items()
            }
        baseline = results["tiny"][0]
        print(f"\n{label}:")
        for name, (millis, status) in results.items():
            print(
                f"  {name:10} {millis:8.3f} ms/request  ({status})"
                f"  ratio to tiny {millis / baseline:7.2f}"
            )


if __name__ == "__main__":
    main()
