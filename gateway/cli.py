"""meetings-gateway: serve the gateway, serve the sandbox alone, or export the GraphQL schema."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import multiprocess

from gateway.edge.logs import configure_logging
from gateway.errors import SettingsError
from gateway.meetings.watches import Watches
from gateway.runtime import Runtime
from gateway.serving import STATE_KEY
from gateway.settings import Settings, port_number
from gateway.tracing import Tracing

# The project's checkout, when the package runs from one (an editable install or the source).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMMITTED_SCHEMA = PROJECT_ROOT / "schema" / "schema.graphql"


def committed_schema_path() -> Path | None:
    """Where the committed SDL lives, or None when the package is not in its project."""
    inside = (PROJECT_ROOT / "pyproject.toml").is_file() and COMMITTED_SCHEMA.parent.is_dir()
    return COMMITTED_SCHEMA if inside else None


def _port(raw: str) -> int:
    try:
        return port_number(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a port (expected 1-65535)") from None


def _workers(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a worker count (expected 1-64)")
    return int(raw)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meetings-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the gateway (GraphQL on /graphql, REST on /scheduler/...)",
        description="Run the gateway. Settings come from the environment (see the README).",
    )
    serve.add_argument("--host", help="address to bind (default: GATEWAY_HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to bind (default: GATEWAY_PORT, else 8000)")
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="processes sharing the port, each with its own caches (default: %(default)s)",
    )
    sandbox = commands.add_parser(
        "sandbox",
        help="run the HubSpot Meetings sandbox alone (HubSpot's paths)",
        description="Run the embedded HubSpot Meetings sandbox on its own.",
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    sandbox.add_argument(
        "--port", type=_port, default=8010, help="port to bind (default: %(default)s)"
    )
    export = commands.add_parser(
        "export-schema",
        help="write the GraphQL SDL",
        description="Write the GraphQL schema's SDL.",
    )
    export.add_argument(
        "--output",
        type=Path,
        default=committed_schema_path(),
        help="file to write (default: %(default)s; required outside the project)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve":
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    if args.command == "export-schema":
        return export_schema(args.output)
    if args.command == "sandbox":
        return run_sandbox(args.host, args.port)
    return serve(args.host, args.port, args.workers)


def fail(message: str) -> int:
    print(f"meetings-gateway: {message}", file=sys.stderr)
    return 2


def export_schema(output: Path | None) -> int:
    if output is None:
        return fail("not run inside the project: say where to write with --output PATH")
    if not output.parent.is_dir():
        return fail(f"{output.parent} is not a directory")
    from gateway.graphql.schema import sdl

    output.write_text(sdl())
    print(f"wrote {output}")
    return 0


def run_sandbox(host: str, port: int) -> int:
    from gateway.sandbox import SandboxConfig, create_sandbox_app

    try:
        # A bad variable or fixtures file stops the start, named, without a traceback.
        sandbox_app = create_sandbox_app(SandboxConfig.from_environ(os.environ))
    except ValueError as exc:
        return fail(str(exc))
    uvicorn.run(sandbox_app, host=host, port=port)
    return 0


class StreamsFirstServer(uvicorn.Server):
    """On SIGTERM or SIGINT the app's open streams end first (each with its ``complete``), so
    the connections uvicorn then waits for close within the deadline instead of never.

    The streams are found in the lifespan state the server keeps (the app's runtime), not
    handed in: ``serve --workers N`` has uvicorn build each worker's app inside the worker,
    where this same class serves it (``WorkerProcess``)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        watches = self._streams()
        if watches is not None:
            # The handler runs between two steps of the loop, on its thread: end them in it.
            asyncio.get_running_loop().call_soon_threadsafe(watches.end)
        super().handle_exit(sig, frame)

    def _streams(self) -> Watches | None:
        """The app's streams, once its lifespan has started (none can be open before)."""
        lifespan = getattr(self, "lifespan", None)  # made as the server starts
        runtime = lifespan.state.get(STATE_KEY) if lifespan is not None else None
        return runtime.watches if isinstance(runtime, Runtime) else None


class WorkerProcess(multiprocess.Process):
    """One process of ``serve --workers N``: uvicorn's own worker (its health checks, its
    restarts), serving with ``StreamsFirstServer`` where uvicorn would build a plain server."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = StreamsFirstServer(config=self.config)
        return self._server


# uvloop and httptools (``uvicorn[standard]``): about 1.8x the requests per second of asyncio's
# own loop and h11 on the same precomputed bytes, and what lets several workers scale.
SERVER = {"loop": "uvloop", "http": "httptools"}


def serve(host: str | None, port: int | None, workers: int = 1) -> int:
    try:
        settings = Settings.from_environ(os.environ)
        tracing = Tracing.from_environ(os.environ)
    except (SettingsError, ValueError) as exc:
        return fail(str(exc))
    where = {
        "host": settings.host if host is None else host,
        "port": settings.port if port is None else port,
        # Logging is configured by the app's builder; uvicorn's access line is replaced by the
        # gateway's own, which logs route templates rather than raw paths and client addresses.
        "log_level": "info",
        "log_config": None,
        "access_log": False,
        # graphql-transport-ws subscriptions: uvicorn's maintained WebSocket protocol.
        "ws": "websockets-sansio",
        **SERVER,
    }
    try:
        # Built here for workers too: a malformed fixtures file (SANDBOX_FIXTURES) or
        # persisted-operations manifest (GATEWAY_PERSISTED_MANIFEST) stops the start, named, once.
        app = built_app(settings, tracing if workers == 1 else None)
    except (SettingsError, ValueError) as exc:
        return fail(str(exc))
    if workers > 1:
        if tracing is not None:
            tracing.shutdown()  # each worker builds its own from the environment
        # uvicorn's supervisor makes every worker (at start, on SIGHUP, for one that died) from
        # its module's ``Process``, and takes no other: this process only supervises them.
        multiprocess.Process = WorkerProcess  # type: ignore[misc]
        # Each worker process imports the factory and builds its own app.
        uvicorn.run("gateway.cli:worker_app", factory=True, workers=workers, **where)  # type: ignore[arg-type]
        return 0
    try:
        StreamsFirstServer(uvicorn.Config(app, **where)).run()  # type: ignore[arg-type]
    finally:
        if tracing is not None:
            tracing.shutdown()
    return 0


def built_app(settings: Settings, tracing: Tracing | None) -> Starlette:
    from gateway.app import create_app

    secrets = [settings.hubspot_access_token or "", *(key.key for key in settings.api_keys)]
    configure_logging(settings.log_format, secrets=secrets)
    return create_app(settings, tracing=tracing, warm=True)


def worker_app() -> Starlette:
    """The app of one ``serve --workers N`` process (its settings were checked by the parent)."""
    tracing = Tracing.from_environ(os.environ)
    app = built_app(Settings.from_environ(os.environ), tracing)
    if tracing is not None:
        atexit.register(tracing.shutdown)
    return app


if __name__ == "__main__":
    raise SystemExit(main())
