"""``meetings-gateway``: serve the gateway, serve the sandbox alone, or export the schema."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from gateway.errors import SettingsError
from gateway.logs import configure_logging
from gateway.settings import Settings
from gateway.tracing import Tracing

DEFAULT_SCHEMA_PATH = Path("schema/schema.graphql")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="meetings-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gateway (GraphQL on /graphql)")
    serve.add_argument("--host", help="default: GATEWAY_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: GATEWAY_PORT or 8000")
    sandbox = commands.add_parser("sandbox", help="run the HubSpot Meetings sandbox alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8010)
    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", type=Path, default=DEFAULT_SCHEMA_PATH)
    args = parser.parse_args(argv)

    if args.command != "serve":
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    if args.command == "export-schema":
        from gateway.graphql.schema import sdl

        args.output.write_text(sdl())
        print(f"wrote {args.output}")
        return 0
    if args.command == "sandbox":
        from gateway.sandbox import SandboxConfig, create_sandbox_app

        try:
            # A bad variable or fixtures file stops the start, named, without a traceback.
            sandbox_app = create_sandbox_app(SandboxConfig.from_environ(os.environ))
        except ValueError as exc:
            print(f"meetings-gateway: {exc}", file=sys.stderr)
            return 2
        uvicorn.run(sandbox_app, host=args.host, port=args.port)
        return 0
    try:
        settings = Settings.from_environ(os.environ)
        tracing = Tracing.from_environ(os.environ)
    except (SettingsError, ValueError) as exc:
        print(f"meetings-gateway: {exc}", file=sys.stderr)
        return 2
    from gateway.app import create_app

    secrets = [settings.hubspot_access_token or "", *(key.key for key in settings.api_keys)]
    configure_logging(settings.log_format, secrets=secrets)
    try:
        app = create_app(settings, tracing=tracing)
    except ValueError as exc:
        # The embedded sandbox's fixtures file (SANDBOX_FIXTURES) is malformed.
        print(f"meetings-gateway: {exc}", file=sys.stderr)
        return 2
    try:
        uvicorn.run(
            app,
            host=args.host or settings.host,
            port=args.port or settings.port,
            log_level="info",
            # Logging is configured above; uvicorn's access line is replaced by the gateway's
            # own, which logs route templates rather than raw paths and client addresses.
            log_config=None,
            access_log=False,
        )
    finally:
        if tracing is not None:
            tracing.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
