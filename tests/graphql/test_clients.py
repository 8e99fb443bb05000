"""Real clients against the gateway on loopback. Apollo Client itself (from npm, run by Node):
automatic persisted queries with ``useGETForHashedQueries``, and the persisted query list that
Apollo's own tooling generates from ``schema/operations``. The persisted documents
graphql-codegen's client preset writes, loaded as the manifest. Python's ``gql``, which sends
its own print of every document, in persisted-only mode.

The Node project is ``tests/graphql/clients`` (its lockfile pins the packages); the test
command installs it with ``npm ci``, and so does this module when it finds it not installed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import OperationDefinitionNode, parse

from gateway.graphql.manifest import read_manifest
from tests.support.harness import running_gateway
from tests.support.loopback import gateway_on_loopback
from tests.support.query_string import apq, query_params

CLIENTS = Path(__file__).resolve().parent / "clients"
OPERATIONS = Path(__file__).resolve().parents[2] / "schema" / "operations"
NODE_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def clients() -> Path:
    """The Node project, installed from its lockfile."""
    npm = shutil.which("npm")
    assert npm is not None, "Node and npm are needed (scripts/test installs them)"
    if not (CLIENTS / "node_modules" / ".package-lock.json").is_file():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=CLIENTS,
            check=True,
            timeout=600,
        )
    return CLIENTS


@pytest.fixture
def apollo_manifest(clients: Path, tmp_path: Path) -> Path:
    """The manifest ``@apollo/generate-persisted-query-manifest`` writes for the shipped
    operations (with Apollo Client's own transforms applied to them)."""
    manifest = tmp_path / "persisted-query-manifest.json"
    config = tmp_path / "persisted-query-manifest.config.json"
    documents = str(OPERATIONS.resolve() / "*.graphql")
    config.write_text(json.dumps({"documents": [documents], "output": str(manifest)}))
    tool = clients / "node_modules" / ".bin" / "generate-persisted-query-manifest"
    subprocess.run(
        [str(tool), "--config", str(config)],
        cwd=clients,
        check=True,
        capture_output=True,
        timeout=NODE_TIMEOUT,
    )
    return manifest


async def apollo(clients: Path, base: str, scenario: str, **environ: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    process = await asyncio.create_subprocess_exec(
        node,
        str(clients / "apollo.mjs"),
        scenario,
        cwd=clients,
        env={
            **os.environ,
            "GATEWAY_URL": base,
            "OPERATIONS": str(OPERATIONS),
            **environ,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), NODE_TIMEOUT)
    assert process.returncode == 0, err.decode()
    report: dict[str, Any] = json.loads(out)
    return report


def sent(exchange: dict[str, Any]) -> tuple[str, str, bool, str | None]:
    return exchange["method"], exchange["operationName"], exchange["query"], exchange["code"]


NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize("persisted_only", ["false", "true"])
async def test_apollo_apq_with_get_for_hashed_queries(clients: Path, persisted_only: str) -> None:
    environ = {"GATEWAY_PERSISTED_ONLY": persisted_only}
    async with gateway_on_loopback(environ) as served:
        base = served.url
        report = await apollo(clients, base, "apq")
    answered = {"links": 45, "info": "mel-nelson", "release": "HoldNotFound"}
    assert report["results"] == {"first": answered, "again": answered}
    exchanges = report["exchanges"]
    assert [sent(e) for e in exchanges] == [
        # A query's hash alone by GET; unknown, so its document (POSTed: Apollo's default).
        ("GET", "ListMeetingLinks", False, NOT_FOUND),
        ("POST", "ListMeetingLinks", True, None),
        # With HttpLink's useGETForQueries, the document is sent by GET too.
        ("GET", "MeetingLinkBookingInfo", False, NOT_FOUND),
        ("GET", "MeetingLinkBookingInfo", True, None),
        # A mutation is never sent by GET.
        ("POST", "ReleaseHold", False, NOT_FOUND),
        ("POST", "ReleaseHold", True, None),
        # Fresh clients: every hash is known now (in allow-list mode too).
        ("GET", "ListMeetingLinks", False, None),
        ("GET", "MeetingLinkBookingInfo", False, None),
        ("POST", "ReleaseHold", False, None),
    ]
    # Apollo hashes the document it sends (its cache adds __typename), not the file.
    shipped = hashlib.sha256((OPERATIONS / "ListMeetingLinks.graphql").read_bytes()).hexdigest()
    assert exchanges[0]["hash"] != shipped
    for exchange in exchanges:
        if exchange["method"] == "GET" and exchange["code"] is None:
            assert exchange["cacheControl"] == "public, max-age=60"
            assert exchange["etag"]
        elif exchange["method"] == "GET":
            assert exchange["cacheControl"] == "no-store"
    # The same answer from a registration and from its hash later: the same entity tag.
    assert exchanges[3]["etag"] == exchanges[7]["etag"]


async def test_apollos_generated_manifest_in_persisted_only_mode(
    clients: Path, apollo_manifest: Path
) -> None:
    manifest = apollo_manifest
    generated = json.loads(manifest.read_text())
    assert generated["format"] == "apollo-persisted-query-manifest"
    ids = read_manifest(manifest)
    assert len(ids) == len(list(OPERATIONS.glob("*.graphql")))
    environ = {"GATEWAY_PERSISTED_ONLY": "true", "GATEWAY_PERSISTED_MANIFEST": str(manifest)}
    async with gateway_on_loopback(environ) as served:
        base = served.url
        report = await apollo(clients, base, "manifest", MANIFEST=str(manifest))
    assert report["results"] == {"links": 45, "info": "UTC"}
    exchanges = report["exchanges"]
    # Only ids, by GET, each known at once: no document ever crosses the wire.
    assert [sent(e) for e in exchanges] == [
        ("GET", "ListMeetingLinks", False, None),
        ("GET", "MeetingLinkBookingInfo", False, None),
    ]
    assert {e["hash"] for e in exchanges} <= set(ids)
    assert all(e["cacheControl"] == "public, max-age=60" for e in exchanges)


async def test_gql_reprinted_documents_run_in_persisted_only_mode() -> None:
    queries: dict[str, dict[str, Any]] = {
        "ListMeetingLinks": {"first": 2},
        "MeetingLinkAvailability": {"slug": "mel-nelson", "timeZone": "UTC", "first": 3},
        "EarliestSlot": {"slugs": ["mel-nelson"], "timeZone": "UTC"},
    }
    async with gateway_on_loopback({"GATEWAY_PERSISTED_ONLY": "true"}) as served:
        base = served.url
        transport = HTTPXAsyncTransport(url=f"{base}/graphql")
        async with Client(transport=transport) as session:
            for name, variables in queries.items():
                text = (OPERATIONS / f"{name}.graphql").read_text()
                request = GraphQLRequest(text, variable_values=variables)
                # What gql sends is its own print of the document, not the file's text.
                assert request.payload["query"] not in (text, text.strip())
                data = await session.execute(request)
                assert data, name
            with pytest.raises(TransportQueryError) as refused:
                await session.execute(gql("query Other { meetingLinks(first: 1) { totalCount } }"))
            assert refused.value.errors is not None
            assert refused.value.errors[0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


@pytest.fixture
def codegen_manifest(clients: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The persisted documents graphql-codegen's client preset writes for the shipped
    operations (``{"sha256:<hash>": document}``, each document re-printed its own way)."""
    out = tmp_path / "gql"
    config = tmp_path / "codegen.json"
    preset = {"fragmentMasking": False, "persistedDocuments": {"hashAlgorithm": "sha256"}}
    config.write_text(
        json.dumps(
            {
                "schema": str(OPERATIONS.parent / "schema.graphql"),
                "documents": [str(OPERATIONS.resolve() / "*.graphql")],
                "generates": {f"{out}/": {"preset": "client", "presetConfig": preset}},
            }
        )
    )
    tool = clients / "node_modules" / ".bin" / "graphql-codegen"
    subprocess.run(
        [str(tool), "--config", str(config)],
        cwd=clients,
        check=True,
        capture_output=True,
        timeout=NODE_TIMEOUT,
    )
    manifest = out / "persisted-documents.json"
    written: dict[str, str] = json.loads(manifest.read_text())
    return manifest, written


async def test_graphql_codegens_persisted_documents_in_persisted_only_mode(
    codegen_manifest: tuple[Path, dict[str, str]],
) -> None:
    manifest, written = codegen_manifest
    assert len(written) == len(list(OPERATIONS.glob("*.graphql")))
    assert all(key.startswith("sha256:") for key in written)
    by_name = {
        next(
            d.name.value
            for d in parse(text).definitions
            if isinstance(d, OperationDefinitionNode) and d.name
        ): key
        for key, text in written.items()
    }
    environ = {
        "GATEWAY_PERSISTED_ONLY": "true",
        "GATEWAY_PERSISTED_MANIFEST": str(manifest),
    }
    variables = {"slug": "mel-nelson", "timeZone": "UTC"}
    key = by_name["MeetingLinkBookingInfo"]
    async with running_gateway(environ) as gateway:
        answers = [
            await gateway.http.post("/graphql", json={"documentId": key, "variables": variables}),
            await gateway.http.get(
                "/graphql", params=query_params(variables=variables) | {"documentId": key}
            ),
            await gateway.http.post(
                "/graphql",
                json={"variables": variables, "extensions": apq(key.removeprefix("sha256:"))},
            ),
            # The document as the tool printed it (its fields sorted), sent in full.
            await gateway.http.post(
                "/graphql", json={"query": written[key], "variables": variables}
            ),
        ]
    bodies = [answer.json() for answer in answers]
    assert bodies[0]["data"]["meetingLink"]["slug"] == "mel-nelson", bodies[0]
    assert all(body == bodies[0] for body in bodies), bodies
