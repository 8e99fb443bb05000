"""Manifests of persisted operations as graphql-codegen and Apollo's tooling write them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.errors import SettingsError
from gateway.graphql.manifest import ManifestError, read_manifest
from gateway.settings import Settings
from tests.support.harness import running_gateway
from tests.support.query_string import apq, query_params, sha

ROOT = Path(__file__).resolve().parents[2]
PAGE = "query PageLinks { meetingLinks(first: 1) { nodes { slug } } }"
OTHER = "query Other { meetingLinks(first: 2) { totalCount } }"


def codegen(path: Path, operations: dict[str, str]) -> Path:
    path.write_text(json.dumps(operations))
    return path


def apollo(path: Path, operations: dict[str, str]) -> Path:
    entries = [
        {"id": key, "name": "PageLinks", "type": "query", "body": body}
        for key, body in operations.items()
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": entries}
    path.write_text(json.dumps(manifest))
    return path


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize("write", [codegen, apollo])
def test_both_formats_read_as_id_to_document(tmp_path: Path, write: Any) -> None:
    path = write(tmp_path / "manifest.json", {sha(PAGE): PAGE, "custom-id-1": OTHER})
    assert read_manifest(path) == {sha(PAGE): PAGE, "custom-id-1": OTHER}


def test_a_prefixed_id_is_kept_as_its_hash(tmp_path: Path) -> None:
    # GraphQL over HTTP's prefixed document ids, as graphql-codegen writes them.
    path = codegen(tmp_path / "manifest.json", {f"sha256:{sha(PAGE)}": PAGE, "x:1": OTHER})
    assert read_manifest(path) == {sha(PAGE): PAGE, "x:1": OTHER}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "is not JSON"),
        ("[]", "must hold a JSON object"),
        ('{"format": "apollo-persisted-query-manifest", "version": 2}', '"version": 1'),
        ('{"format": "apollo-persisted-query-manifest", "version": 1}', '"operations" must be'),
        (
            '{"format": "apollo-persisted-query-manifest", "version": 1, '
            '"operations": [{"id": "a"}]}',
            "an id and a document",
        ),
        ('{"abc": 1}', "an id and a document"),
        ('{"abc": "query { meetingLinks("}', "the document of 'abc' does not parse"),
    ],
)
def test_a_bad_manifest_is_told_what_is_wrong(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(ManifestError, match=r"manifest\.json") as raised:
        read_manifest(path)
    assert problem in str(raised.value)


def test_a_bad_manifest_stops_the_start_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GATEWAY_PERSISTED_MANIFEST"):
        Settings.from_environ({"GATEWAY_PERSISTED_MANIFEST": str(tmp_path / "missing.json")})
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "apollo-persisted-query-manifest", "version": 7}')
    settings = Settings.from_environ({"GATEWAY_PERSISTED_MANIFEST": str(broken)})
    with pytest.raises(SettingsError, match=r"^GATEWAY_PERSISTED_MANIFEST: .*broken\.json"):
        create_app(settings)
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve"],
        cwd=ROOT,
        env={**os.environ, "GATEWAY_PERSISTED_MANIFEST": str(broken)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert "GATEWAY_PERSISTED_MANIFEST" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("write", [codegen, apollo])
async def test_persisted_only_runs_a_manifests_operations(tmp_path: Path, write: Any) -> None:
    manifest = write(tmp_path / "manifest.json", {sha(PAGE): PAGE, "Page-Other": OTHER})
    environ = {"GATEWAY_PERSISTED_ONLY": "true", "GATEWAY_PERSISTED_MANIFEST": str(manifest)}
    async with running_gateway(environ) as gateway:
        by_id = await gateway.http.post("/graphql", json={"extensions": apq(sha(PAGE))})
        by_text = await gateway.http.post("/graphql", json={"query": PAGE})
        over_get = await gateway.http.get(
            "/graphql", params=query_params(extensions=apq(sha(PAGE)))
        )
        assert by_id.json() == by_text.json() == over_get.json()
        # GraphQL over HTTP's persisted documents, as graphql-codegen's clients send them.
        document_id = await gateway.http.post("/graphql", json={"documentId": sha(PAGE)})
        prefixed = await gateway.http.get("/graphql", params={"documentId": f"sha256:{sha(PAGE)}"})
        assert document_id.json() == prefixed.json() == by_id.json()
        assert prefixed.headers["cache-control"] == "public, max-age=60"
        assert by_id.json()["data"]["meetingLinks"]["nodes"][0]["slug"]
        # An id the tool chose (not a SHA-256), with or without its document.
        custom = await gateway.http.post("/graphql", json={"extensions": apq("Page-Other")})
        assert custom.json()["data"]["meetingLinks"]["totalCount"] > 0
        both = await gateway.http.post(
            "/graphql", json={"query": OTHER, "extensions": apq("Page-Other")}
        )
        assert both.json() == custom.json()
        # The shipped operations stay persisted; anything else does not run.
        shipped = await gateway.http.post(
            "/graphql",
            json={"query": (ROOT / "schema/operations/ListMeetingLinks.graphql").read_text()},
        )
        assert "errors" not in shipped.json()
        before = await gateway.calls()
        unlisted = "query PageLinks { meetingLinks(first: 3) { nodes { slug } } }"
        refused = await gateway.http.post("/graphql", json={"query": unlisted})
        assert code(refused.json()) == "PERSISTED_QUERY_REQUIRED"
        assert await gateway.calls() == before


async def test_a_manifest_adds_to_apq_outside_persisted_only(tmp_path: Path) -> None:
    manifest = codegen(tmp_path / "manifest.json", {"page-links": PAGE})
    async with running_gateway({"GATEWAY_PERSISTED_MANIFEST": str(manifest)}) as gateway:
        known = await gateway.http.post("/graphql", json={"extensions": apq("page-links")})
        assert known.json()["data"]["meetingLinks"]["nodes"]
        by_document_id = await gateway.http.post("/graphql", json={"documentId": "page-links"})
        assert by_document_id.json() == known.json()
        not_a_string = await gateway.http.post("/graphql", json={"documentId": 7})
        assert not_a_string.status_code == 400
        assert code(not_a_string.json()) == "BAD_REQUEST"
        # Any other document still runs (persisted-only is off).
        assert "errors" not in (await gateway.http.post("/graphql", json={"query": OTHER})).json()
