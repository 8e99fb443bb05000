"""HubSpot's vendored OpenAPI spec as a validator for response bodies."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SPEC_PATH = Path(__file__).with_name("hubspot-scheduler-meetings-v3.openapi.json")


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return loaded


@cache
def _validator(schema_name: str) -> Any:
    document = {
        "$ref": f"#/components/schemas/{schema_name}",
        "components": spec()["components"],
    }
    return jsonschema_rs.Draft4Validator(document)


def schema_errors(schema_name: str, instance: object) -> list[str]:
    """Every way ``instance`` breaks the spec's ``components.schemas[schema_name]``."""
    return [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in _validator(schema_name).iter_errors(instance)
    ]


def assert_matches(schema_name: str, instance: object) -> None:
    errors = schema_errors(schema_name, instance)
    assert not errors, f"{schema_name} violations:\n" + "\n".join(errors[:20])
