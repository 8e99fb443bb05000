"""HubSpot's own spec of every supported API version, driven by schemathesis against the
gateway's REST surface: a partner app written to any version's spec gets no server error and
no answer off that spec.

The same widened contract as the sandbox's (``tests/sandbox/test_contract.py``), so positive
cases use real slugs, zones and offered starts; the gateway runs on its embedded sandbox with
the sandbox tests' clock, so those starts are offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.core.result import Ok
from schemathesis.python import asgi

from gateway.app import create_app
from gateway.settings import API_VERSIONS, Settings
from tests.contract.widened import conformance_test, contract, operations
from tests.support.sandbox_client import NOW

SCHEMAS = {version: schemathesis.openapi.from_dict(contract(version)) for version in API_VERSIONS}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One gateway for the run, with its lifespan, built when the tests run."""
    app = create_app(Settings.from_environ({"SANDBOX_NOW": NOW.isoformat()}))
    with asgi.get_client(app) as session:  # type: ignore[arg-type]
        yield session


def contract_test(version: str) -> Callable[..., None]:
    return conformance_test(SCHEMAS[version], 15)


test_the_rest_surface_keeps_hubspots_v3_contract = contract_test("v3")
test_the_rest_surface_keeps_hubspots_2026_03_contract = contract_test("2026-03")
test_the_rest_surface_keeps_hubspots_2026_09_contract = contract_test("2026-09")


def test_every_supported_version_has_its_contract_test() -> None:
    for version in API_VERSIONS:
        name = f"test_the_rest_surface_keeps_hubspots_{version.replace('-', '_')}_contract"
        assert name in globals(), f"add {name} for {version}"


@pytest.mark.parametrize("version", API_VERSIONS)
def test_the_contract_covers_the_four_operations(version: str) -> None:
    found = set()
    for result in SCHEMAS[version].get_all_operations():
        assert isinstance(result, Ok)
        found.add((result.ok().method, result.ok().path))
    assert found == {(method, path) for path, method in operations(version).items()}
