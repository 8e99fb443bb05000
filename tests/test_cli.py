"""The README's run command: ``meetings-gateway serve`` on its embedded defaults, over loopback."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from gateway.cli import committed_schema_path
from tests.support.loopback import WAIT, sse_subscription
from tests.support.redis_server import free_port
from tests.support.subscriptions import SUBSCRIBE, WATCHED

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "stderr.log"
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HUBSPOT_", "REDIS_", "SANDBOX_", "GATEWAY_"))
    }
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail(
                f"gateway did not start: {process.stderr.read() if process.stderr else ''!r}"
            )
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_answers_graphql_on_the_sandbox(served: str) -> None:
    ready = httpx.get(f"{served}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "upstream": "ok", "cache": "ok"}
    response = httpx.post(
        f"{served}/graphql",
        json={"query": '{ meetingLink(slug: "mel-nelson") { slug type } }'},
        timeout=10,
    )
    assert response.json() == {
        "data": {"meetingLink": {"slug": "mel-nelson", "type": "PERSONAL_LINK"}}
    }


def test_graphiql_is_served_to_browsers(served: str) -> None:
    page = httpx.get(f"{served}/graphql", headers={"Accept": "text/html"}, timeout=5)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


def test_a_bad_setting_stops_the_start_and_names_the_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve"],
        cwd=ROOT,
        env={**os.environ, "GATEWAY_PORT": "not-a-port"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "GATEWAY_PORT" in result.stderr


def test_export_schema_writes_the_committed_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    subprocess.run(
        [sys.executable, "-m", "gateway.cli", "export-schema", "--output", str(target)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=30,
    )
    assert target.read_text() == (ROOT / "schema" / "schema.graphql").read_text()


@pytest.mark.parametrize("command", ["serve", "sandbox"])
def test_a_malformed_fixtures_file_stops_the_start_naming_it(tmp_path: Path, command: str) -> None:
    fixtures = tmp_path / "broken-fixtures.json"
    fixtures.write_text('{"members": [], "links": [{"slug": "x"}]}')
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", command],
        cwd=ROOT,
        env={**os.environ, "SANDBOX_FIXTURES": str(fixtures)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert "broken-fixtures.json" in result.stderr
    assert "Traceback" not in result.stderr


def run_cli(*args: str, cwd: Path = ROOT, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        cwd=cwd,
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("port", ["70000", "0", "-1", "http"])
@pytest.mark.parametrize("command", ["serve", "sandbox"])
def test_a_bad_port_option_is_refused_in_one_line(command: str, port: str) -> None:
    result = run_cli(command, "--port", port)
    assert result.returncode == 2
    assert f"argument --port: {port!r} is not a port (expected 1-65535)" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_shows_plain_text_and_defaults() -> None:
    top = run_cli("--help")
    sandbox = run_cli("sandbox", "--help")
    assert top.returncode == sandbox.returncode == 0
    assert "``" not in top.stdout + sandbox.stdout
    assert "(default: 8010)" in sandbox.stdout
    assert "(default: 127.0.0.1)" in sandbox.stdout


def test_export_schema_defaults_to_the_committed_file_inside_the_project() -> None:
    assert committed_schema_path() == ROOT / "schema" / "schema.graphql"


def test_export_schema_outside_the_project_asks_for_an_output(tmp_path: Path) -> None:
    # The package alone, as an installed copy is: no project around it.
    shutil.copytree(ROOT / "gateway", tmp_path / "gateway")
    result = run_cli("export-schema", cwd=tmp_path, PYTHONPATH=str(tmp_path))
    assert result.returncode == 2
    assert "not run inside the project: say where to write with --output PATH" in result.stderr
    assert "Traceback" not in result.stderr
    target = tmp_path / "out.graphql"
    written = run_cli(
        "export-schema", "--output", str(target), cwd=tmp_path, PYTHONPATH=str(tmp_path)
    )
    assert written.returncode == 0, written.stderr
    assert target.read_text() == (ROOT / "schema" / "schema.graphql").read_text()


def test_export_schema_into_a_missing_directory_says_so(tmp_path: Path) -> None:
    result = run_cli("export-schema", "--output", str(tmp_path / "nowhere" / "s.graphql"))
    assert result.returncode == 2
    assert f"{tmp_path / 'nowhere'} is not a directory" in result.stderr


def opened_streams(base: str) -> float:
    for line in httpx.get(f"{base}/metrics", timeout=5).text.splitlines():
        if line.startswith("gateway_streams_opened_total "):
            return float(line.split()[1])
    return 0.0


@asynccontextmanager
async def serve_process(*options: str) -> AsyncIterator[tuple[subprocess.Popen[bytes], str]]:
    """``meetings-gateway serve`` as its own process on a free port, once it answers; killed
    at the end if it is still running."""
    port = free_port()
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HUBSPOT_", "REDIS_", "SANDBOX_", "GATEWAY_"))
    }
    process = subprocess.Popen(  # noqa: ASYNC220 - the server under test, started once
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), *options],
        cwd=ROOT,
        env={**environ, "SANDBOX_NOW": "2026-03-02T14:00:00Z"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own group: a supervisor killed here takes its workers with it.
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for _ in range(300):
                try:
                    if (await http.get(f"{base}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)  # another process's start: nothing to await
        yield process, base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


async def test_sigterm_ends_open_streams_cleanly_then_the_process() -> None:
    subscription = (ROOT / "schema" / "operations" / "AvailabilityChanged.graphql").read_text()
    body = {"query": subscription, "variables": {"slug": "mel-nelson", "timeZone": "UTC"}}
    async with (
        serve_process() as (process, base),
        httpx.AsyncClient(timeout=30) as http,
    ):
        headers = {"accept": "text/event-stream"}
        async with http.stream("POST", f"{base}/graphql", json=body, headers=headers) as sse:
            while opened_streams(base) < 1:  # noqa: ASYNC110 - another process's state
                await asyncio.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            text = "".join([chunk async for chunk in sse.aiter_text()])
        assert text.endswith("event: complete\r\ndata: \r\n\r\n"), text
        # uvicorn raises the signal again once it has shut down, as the process's exit.
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)


async def test_sigterm_to_the_workers_supervisor_ends_each_workers_streams_first() -> None:
    async with serve_process("--workers", "2") as (process, base):
        # Begun in a worker (its response started): that worker waits for it unless it ends
        # its streams on its own SIGTERM, which the supervisor passes on.
        async with sse_subscription(base, SUBSCRIBE, WATCHED) as changes:
            process.send_signal(signal.SIGTERM)
            await changes.end()  # its ``complete``, within the helper's bound
        # Well within uvicorn's graceful shutdown (unbounded here: it waits for connections).
        assert process.wait(timeout=WAIT) == 0


@pytest.mark.parametrize("workers", ["0", "65", "two"])
def test_a_bad_worker_count_is_refused_in_one_line(workers: str) -> None:
    result = run_cli("serve", "--workers", workers)
    assert result.returncode == 2
    assert f"argument --workers: {workers!r} is not a worker count (expected 1-64)" in (
        result.stderr
    )
