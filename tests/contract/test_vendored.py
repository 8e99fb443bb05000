"""The vendored specs are HubSpot's (by hash), one per supported API version, and agree."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from gateway.hubspot.paths import api_paths
from gateway.rest.openapi import hubspot_schemas
from gateway.settings import API_VERSIONS
from tests.contract.hubspot_spec import HERE, spec, spec_path


def recorded_hashes() -> dict[str, str]:
    text = (HERE / "SOURCE.md").read_text()
    return dict(re.findall(r"^\| `([^`]+\.json)` \| .+? \| `([0-9a-f]{64})` \|$", text, re.M))


def test_every_supported_version_has_its_spec_with_the_recorded_hash() -> None:
    hashes = recorded_hashes()
    assert sorted(hashes) == sorted(spec_path(v).name for v in API_VERSIONS)
    for version in API_VERSIONS:
        path = spec_path(version)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == hashes[path.name], path.name
        assert spec(version)["info"]["version"] == version


@pytest.mark.parametrize("version", API_VERSIONS)
def test_each_spec_has_the_four_operations_at_the_gateways_paths(version: str) -> None:
    paths = api_paths(version)
    operations = spec(version)["paths"]
    assert "get" in operations[paths.links]
    assert "post" in operations[paths.book]
    assert "get" in operations[paths.booking_info]
    assert "get" in operations[paths.availability]


def without_prose(node: Any, in_properties: bool = False) -> Any:
    """A schema without what only informs a reader (descriptions, examples); property names
    are kept, whatever they are called."""
    if isinstance(node, dict):
        if in_properties:
            return {name: without_prose(value) for name, value in node.items()}
        return {
            key: without_prose(value, key == "properties")
            for key, value in node.items()
            if key not in ("description", "example")
        }
    if isinstance(node, list):
        return [without_prose(item) for item in node]
    # 2026-09 types HubSpot's epoch-millisecond fields int32, as v3 did before 2026-04: a
    # spec bug HubSpot fixed in v3 (real values need 64 bits); the JSON type is the same.
    return "int64" if node == "int32" else node


# Optional properties one version has and another lacks: a body with or without them is valid
# at every version (no schema forbids additional properties).
OPTIONAL_IN_SOME = {("ExternalLinkMetadata", "paymentLinkId")}


def without_optional_in_some(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    properties = {
        key: value
        for key, value in schema.get("properties", {}).items()
        if (name, key) not in OPTIONAL_IN_SOME
    }
    assert not {key for n, key in OPTIONAL_IN_SOME if n == name} & set(schema.get("required", []))
    return {**schema, "properties": properties} if "properties" in schema else schema


@pytest.mark.parametrize("version", API_VERSIONS)
def test_every_version_shares_the_schemas_the_rest_document_ships(version: str) -> None:
    # Why one set of component schemas documents every version's paths.
    schemas = spec(version)["components"]["schemas"]
    for name, shipped in hubspot_schemas()["schemas"].items():
        assert without_optional_in_some(name, without_prose(schemas[name])) == (
            without_optional_in_some(name, without_prose(shipped))
        ), (version, name)
        assert schemas[name].get("additionalProperties") in (None, True), (version, name)
