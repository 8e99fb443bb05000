"""How long one booking takes to reach 1,000 open SSE streams on one gateway process, and what
each open stream costs that process in memory.

Run from the project root::

    .venv/bin/python -m tests.bench.bench_subscriptions [--streams 1000]

The gateway is ``meetings-gateway serve`` in its own process (one uvicorn worker, the embedded
sandbox, the clock frozen), on loopback. The clients are raw sockets in this process speaking
GraphQL over SSE (distinct connections mode), each subscribed to the same watched range, so
their cost stays out of the server's figures. One run measures:

- ``baseline``: one stream, one booking: from sending the booking to the stream's event;
- ``streams``: N streams, one booking: the same, for every stream (p50, p95, max), and the
  ratio of their p95 to the baseline;
- ``memory``: the server's resident memory before and after opening the N streams, per stream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.bookings import booking
from tests.support.harness import NOW, operation
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBE = operation("AvailabilityChanged")
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")
SLUG = "mel-nelson"
WATCHED = {"slug": SLUG, "timeZone": "UTC", "to": "2026-03-09T14:00:00Z", "durationMinutes": 30}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Stream:
    """One SSE subscription on its own connection; ``got`` is when its first change came."""

    def __init__(self) -> None:
        self.got: float | None = None
        self.arrived = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None

    async def run(self, port: int, opened: asyncio.Event) -> None:
        reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        body = json.dumps({"query": SUBSCRIBE, "variables": WATCHED}).encode()
        head = (
            "POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(f"subscription refused: {status!r}")
        opened.set()
        while line := await reader.readline():
            if line.startswith(b"event: next"):
                self.got = time.perf_counter()
                self.arrived.set()
                return

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def opened_streams(http: httpx.AsyncClient) -> int:
    text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith("gateway_streams_opened_total "):
            return int(float(line.split()[1]))
    return 0


async def one_round(port: int, count: int, start: str) -> tuple[list[float], int, int]:
    """Open ``count`` streams, book ``start``; the latencies (s), RSS before and after (KiB)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        before_open = await opened_streams(http)
        rss_before = rss_kib(SERVER_PID[0])
        streams = [Stream() for _ in range(count)]
        tasks = []
        for index, stream in enumerate(streams):
            tasks.append(asyncio.create_task(stream.run(port, asyncio.Event())))
            if index % 100 == 99:
                await asyncio.sleep(0.05)  # do not flood the accept queue
        while True:  # the server opens each stream once its response began: polled
            if await opened_streams(http) >= before_open + count:
                break
            await asyncio.sleep(0.1)
        rss_after = rss_kib(SERVER_PID[0])
        sent = time.perf_counter()
        answer = await http.post(
            "/graphql", json={"query": BOOK, "variables": booking(SLUG, start, 30)}
        )
        kind = answer.json()["data"]["bookMeeting"]["__typename"]
        if kind != "BookingConfirmed":
            raise RuntimeError(f"the booking was not made: {kind}")
        await asyncio.wait_for(asyncio.gather(*(s.arrived.wait() for s in streams)), 60)
        for stream in streams:
            stream.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        return [s.got - sent for s in streams if s.got is not None], rss_before, rss_after


SERVER_PID: list[int] = []


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def served_gateway(count: int) -> Iterator[int]:
    """``meetings-gateway serve`` on a free port, in its own process; its port."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SANDBOX_", "HUBSPOT_", "GATEWAY_"))
    }
    env.update({"SANDBOX_NOW": NOW, "GATEWAY_MAX_STREAMS": str(count + 10)})
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    SERVER_PID[:] = [server.pid]
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


async def measure(port: int, count: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        body = {"query": AVAILABILITY, "variables": WATCHED}
        data = (await http.post("/graphql", json=body)).json()
        starts = [slot["start"] for slot in data["data"]["meetingLink"]["availability"]["slots"]]
    baseline, _, _ = await one_round(port, 1, starts[0])
    latencies, rss_before, rss_after = await one_round(port, count, starts[4])
    base = baseline[0]
    return {
        "streams": count,
        "baseline_ms": round(base * 1000, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "p95_over_baseline": round(percentile(latencies, 0.95) / base, 1),
        "rss_before_mib": round(rss_before / 1024, 1),
        "rss_after_mib": round(rss_after / 1024, 1),
        "kib_per_stream": round((rss_after - rss_before) / count, 1),
        "received": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=1000)
    args = parser.parse_args()
    with served_gateway(args.streams) as port:
        print(json.dumps(asyncio.run(measure(port, args.streams)), indent=2))


if __name__ == "__main__":
    main()
