from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.harness import Gateway, running_gateway


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    async with running_gateway() as running:
        yield running
