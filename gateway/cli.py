"""meetings-gateway: serve the gateway, serve the sandbox alone, or export the GraphQL schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from gateway.edge.logs import configure_logging
from gateway.errors import SettingsError
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
    return serve(args.host, args.port)


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
    the connections uvicorn then waits for close within the deadline instead of never."""

    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            loop.call_soon_threadsafe(self.app.state.watches.end)
        super().handle_exit(sig, frame)


def serve(host: str | None, port: int | None) -> int:
    try:
        settings = Settings.from_environ(os.environ)
        tracing = Tracing.from_environ(os.environ)
    except (SettingsError, ValueError) as exc:
        return fail(str(exc))
    from gateway.app import create_app

    secrets = [settings.hubspot_access_token or "", *(key.key for key in settings.api_keys)]
    configure_logging(settings.log_format, secrets=secrets)
    try:
        app = create_app(settings, tracing=tracing)
    except ValueError as exc:
        # The embedded sandbox's fixtures file (SANDBOX_FIXTURES) is malformed.
        return fail(str(exc))
    try:
        config = uvicorn.Config(
            app,
            host=settings.host if host is None else host,
            port=settings.port if port is None else port,
            log_level="info",
            # Logging is configured above; uvicorn's access line is replaced by the gateway's
            # own, which logs route templates rather than raw paths and client addresses.
            log_config=None,
            access_log=False,
            # graphql-transport-ws subscriptions: uvicorn's maintained WebSocket protocol.
            ws="websockets-sansio",
        )
        StreamsFirstServer(config, app).run()
    finally:
        if tracing is not None:
            tracing.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
