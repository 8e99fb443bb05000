"""Schemathesis drives HubSpot's own spec of every supported API version against the sandbox:
no 5xx, no response off that version's spec.

The four operations the sandbox serves are kept; slug, timezone and booking-body parameters
are widened so generated values are either real fixture values or anything at all, which lets
positive cases reach the code behind the 404s and 400s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.core.result import Ok
from schemathesis.python import asgi

from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.sandbox.app import API_VERSIONS as SANDBOX_VERSIONS
from gateway.settings import API_VERSIONS
from tests.contract.widened import conformance_test, contract, operations
from tests.support.sandbox_client import NOW

# The sandbox's own list of versions, which must be the gateway's.
VERSIONS = API_VERSIONS


SCHEMAS = {version: schemathesis.openapi.from_dict(contract(version)) for version in VERSIONS}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One sandbox for the run, built when the tests run, not when they are collected."""
    with asgi.get_client(create_sandbox_app(SandboxConfig(now=NOW, seed=11))) as session:  # type: ignore[arg-type]
        yield session


def contract_test(version: str, examples: int) -> Callable[..., None]:
    return conformance_test(SCHEMAS[version], examples)


# The versions share one implementation, so the date versions get fewer examples each.
test_the_sandbox_keeps_hubspots_v3_contract = contract_test("v3", 50)
test_the_sandbox_keeps_hubspots_2026_03_contract = contract_test("2026-03", 30)
test_the_sandbox_keeps_hubspots_2026_09_contract = contract_test("2026-09", 30)


def test_every_supported_version_has_its_contract_test() -> None:
    for version in API_VERSIONS:
        name = f"test_the_sandbox_keeps_hubspots_{version.replace('-', '_')}_contract"
        assert name in globals(), f"add {name} for {version}"


def test_the_sandbox_serves_every_version_the_gateway_supports() -> None:
    assert SANDBOX_VERSIONS == API_VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_the_contract_covers_the_four_operations(version: str) -> None:
    found = []
    for result in SCHEMAS[version].get_all_operations():
        assert isinstance(result, Ok)
        found.append(f"{result.ok().method.upper()} {result.ok().path}")
    assert sorted(found) == sorted(
        f"{method.upper()} {path}" for path, method in operations(version).items()
    )
