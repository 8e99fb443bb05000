from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.sandbox import SandboxConfig


def test_an_empty_environment_gives_the_defaults() -> None:
    assert SandboxConfig.from_environ({}) == SandboxConfig()
    config = SandboxConfig()
    assert config.fixtures_path is None
    assert config.now is None
    assert config.valid_tokens == frozenset()
    assert (config.latency_ms, config.error_rate, config.rate_limit) == (0, 0, None)


def test_every_variable_is_read() -> None:
    config = SandboxConfig.from_environ(
        {
            "SANDBOX_NOW": "2026-03-06T09:30:00-05:00",
            "SANDBOX_FIXTURES": "/tmp/portal.json",
            "SANDBOX_TOKENS": " pat-na1-a , pat-na1-b,,",
            "SANDBOX_READ_ONLY_TOKENS": "pat-na1-read",
            "SANDBOX_LATENCY_MS": "12.5",
            "SANDBOX_ERROR_RATE": "0.25",
            "SANDBOX_RATE_LIMIT": "100",
            "SANDBOX_SEED": "42",
        }
    )
    assert config.now == datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    assert config.now is not None
    assert config.now.utcoffset() == timedelta(hours=-5)
    assert config.fixtures_path == Path("/tmp/portal.json")
    assert config.valid_tokens == {"pat-na1-a", "pat-na1-b"}
    assert config.read_only_tokens == {"pat-na1-read"}
    assert (config.latency_ms, config.error_rate, config.rate_limit) == (12.5, 0.25, 100)
    assert config.seed == 42


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SANDBOX_NOW", "2026-03-06T09:30:00"),
        ("SANDBOX_NOW", "next tuesday"),
        ("SANDBOX_LATENCY_MS", "-1"),
        ("SANDBOX_LATENCY_MS", "fast"),
        ("SANDBOX_ERROR_RATE", "1.5"),
        ("SANDBOX_ERROR_RATE", "nan"),
        ("SANDBOX_RATE_LIMIT", "0"),
        ("SANDBOX_RATE_LIMIT", "10.5"),
        ("SANDBOX_SEED", "seven"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"^{variable}: "):
        SandboxConfig.from_environ({variable: value})


def test_the_constructor_checks_its_values_too() -> None:
    with pytest.raises(ValueError, match="now"):
        SandboxConfig(now=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="error_rate"):
        SandboxConfig(error_rate=-0.1)
    with pytest.raises(ValueError, match="rate_limit"):
        SandboxConfig(rate_limit=0)
    assert SandboxConfig(now=datetime(2026, 1, 1, tzinfo=UTC)).now is not None
