"""HubSpot's vendored OpenAPI specs, one per supported API version, as validators for bodies."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

HERE = Path(__file__).parent
V3 = "v3"


def spec_path(version: str = V3) -> Path:
    return HERE / f"hubspot-scheduler-meetings-{version}.openapi.json"


@cache
def spec(version: str = V3) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(spec_path(version).read_text())
    return loaded


@cache
def _validator(schema_name: str, version: str) -> Any:
    document = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": spec(version)["components"],
    }
    return jsonschema_rs.Draft4Validator(document)


def schema_errors(schema_name: str, instance: object, version: str = V3) -> list[str]:
    """Every way ``instance`` breaks ``version``'s ``components.schemas[schema_name]``."""
    return [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in _validator(schema_name, version).iter_errors(instance)
    ]


def assert_matches(schema_name: str, instance: object, version: str = V3) -> None:
    errors = schema_errors(schema_name, instance, version)
    assert not errors, f"{schema_name} ({version}) violations:\n" + "\n".join(errors[:20])
