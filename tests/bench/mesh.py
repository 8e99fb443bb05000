"""GraphQL Mesh + Hive Gateway composed from HubSpot's own spec: what a user could pick instead.

Set up from npm in a temporary folder (``@graphql-mesh/compose-cli`` composes a supergraph from
the vendored 2026-09 OpenAPI spec with ``@omnigraph/openapi``; ``@graphql-hive/gateway`` serves
it, with its ``responseCaching`` or without), in front of a standalone sandbox process. Its
queries ask for the same data as the gateway's: the first 20 links, and the two month pages the
month query reads (whose slots Mesh passes through as HubSpot's raw JSON).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

PACKAGES = ["@graphql-mesh/compose-cli@1.8", "@omnigraph/openapi@0.112", "@graphql-hive/gateway@2"]
SPEC = (
    Path(__file__).resolve().parents[1]
    / "contract"
    / "hubspot-scheduler-meetings-2026-09.openapi.json"
)
ROOT_FIELD = "get__scheduler_2026_09_meetings_meeting_links"
PAGE_FIELD = f"{ROOT_FIELD}_book_availability_page__LEFT_CURLY_BRACE_slug_RIGHT_CURLY_BRACE_"

COMPOSE = """
import { defineConfig } from '@graphql-mesh/compose-cli'
import { loadOpenAPISubgraph } from '@omnigraph/openapi'

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('HubSpot', {
        source: './spec.json',
        endpoint: '{env.SANDBOX_URL}',
      }),
    },
  ],
})
"""
CACHED = "export const gatewayConfig = { responseCaching: { session: () => null, ttl: 600000 } }\n"
PLAIN = "export const gatewayConfig = {}\n"

LINKS = f"""query {{ {ROOT_FIELD}(limit: 20) {{
  ... on CollectionResponseWithTotalExternalLinkMetadata {{
    total paging {{ next {{ after }} }}
    results {{
      id slug link name type organizerUserId userIdsOfLinkMembers defaultLink createdAt updatedAt
    }}
  }}
}} }}"""
MONTH = (
    "query Month($slug: String!) { "
    + " ".join(
        f'm{offset}: {PAGE_FIELD}(slug: $slug, timezone: "UTC", monthOffset: {offset}) '
        "{ ... on ExternalLinkAvailabilityAndBusyTimes {"
        " linkAvailability { hasMore linkAvailabilityByDuration } } }"
        for offset in (0, 1)
    )
    + " }"
)


def body(document: str, variables: dict[str, str] | None = None) -> bytes:
    return json.dumps({"query": document, "variables": variables or {}}).encode()


def unavailable() -> str | None:
    """Why Mesh cannot run here, or None."""
    if shutil.which("npm") is None or shutil.which("npx") is None:
        return "npm is not installed: the Mesh + Hive Gateway columns are skipped"
    return None


def install(folder: Path) -> str | None:
    """Installs the packages and composes the supergraph in ``folder``; why not, or None."""
    (folder / "package.json").write_text(
        '{"name": "mesh-bench", "private": true, "type": "module"}'
    )
    shutil.copy(SPEC, folder / "spec.json")
    (folder / "mesh.config.ts").write_text(COMPOSE)
    (folder / "cached.ts").write_text(CACHED)
    (folder / "plain.ts").write_text(PLAIN)
    steps = [
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES, "graphql"],
        ["npx", "mesh-compose", "-o", "supergraph.graphql"],
    ]
    for step in steps:
        done = subprocess.run(step, cwd=folder, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return (
                f"{' '.join(step[:2])} failed, the Mesh columns are skipped: {done.stderr[-300:]}"
            )
    return None


def command(folder: Path, port: int, cached: bool) -> list[str]:
    """Hive Gateway serving the supergraph on ``port``, one process."""
    return [
        str(folder / "node_modules" / ".bin" / "hive-gateway"),
        "supergraph",
        "supergraph.graphql",
        "--port",
        str(port),
        "--fork",
        "1",
        "-c",
        "cached.ts" if cached else "plain.ts",
    ]


def environment(sandbox: str) -> dict[str, str]:
    return {**os.environ, "SANDBOX_URL": sandbox, "NODE_ENV": "production"}
