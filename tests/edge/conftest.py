from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from gateway.edge.logs import configure_logging

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every record as the installed handler writes it (JSON lines), with ``TOKEN`` a secret."""
    stream = io.StringIO()
    handler = configure_logging("json", stream=stream, level=logging.DEBUG, secrets=[TOKEN])
    yield stream
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)
