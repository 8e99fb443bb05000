"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.replicas import served_sandbox


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """One standalone sandbox process per module, for replicas to share."""
    with served_sandbox() as base:
        yield base
