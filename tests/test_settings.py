from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.errors import SettingsError
from gateway.settings import Settings


def test_empty_environment_means_sandbox_and_in_process_cache() -> None:
    settings = Settings.from_environ({})
    assert settings.uses_sandbox
    assert settings.redis_url is None
    assert settings.hubspot_base_url == "https://api.hubapi.com"
    assert settings.sandbox_now is None


def test_values_are_parsed() -> None:
    settings = Settings.from_environ(
        {
            "HUBSPOT_ACCESS_TOKEN": "pat-na1-secret",
            "HUBSPOT_BASE_URL": "http://127.0.0.1:8010/",
            "REDIS_URL": "redis://127.0.0.1:7000/0",
            "SANDBOX_NOW": "2026-03-02T09:00:00-05:00",
            "GATEWAY_PORT": "9000",
            "GATEWAY_AVAILABILITY_TTL": "2.5",
            "GATEWAY_CORS_ORIGINS": "https://a.example, https://b.example",
            "GATEWAY_PRODUCTION": "yes",
            "GATEWAY_RESPONSE_CACHE": "off",
            "GATEWAY_REQUEST_DEADLINE": "3.5",
            "GATEWAY_UPSTREAM_RATE_LIMIT": "190",
            "GATEWAY_UPSTREAM_BOOKING_RESERVE": "0.25",
            "GATEWAY_UPSTREAM_BUDGET_WAIT": "0",
            "GATEWAY_UPSTREAM_RETRY_RATIO": "0.05",
            "GATEWAY_UPSTREAM_BREAKER_FAILURES": "3",
            "GATEWAY_UPSTREAM_BREAKER_COOLDOWN": "2",
        }
    )
    assert not settings.uses_sandbox
    assert settings.hubspot_base_url == "http://127.0.0.1:8010"
    assert settings.sandbox_now == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert settings.port == 9000
    assert settings.availability_ttl == 2.5
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.production is True
    assert settings.response_cache is False
    assert settings.request_deadline == 3.5
    assert settings.upstream_rate_limit == 190
    assert settings.upstream_booking_reserve == 0.25
    assert settings.upstream_budget_wait == 0
    assert settings.upstream_retry_ratio == 0.05
    assert settings.upstream_breaker_failures == 3
    assert settings.upstream_breaker_cooldown == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HUBSPOT_BASE_URL", "ftp://example"),
        ("HUBSPOT_API_VERSION", "v4"),
        ("HUBSPOT_API_VERSION", "2026-09-beta"),
        ("HUBSPOT_API_VERSION", "2025-09"),
        ("REDIS_URL", "http://localhost"),
        ("SANDBOX_NOW", "2026-03-02T09:00:00"),
        ("SANDBOX_NOW", "yesterday"),
        ("SANDBOX_FIXTURES", "/no/such/file.json"),
        ("GATEWAY_PORT", "70000"),
        ("GATEWAY_LINKS_TTL", "-1"),
        ("GATEWAY_LOG_FORMAT", "xml"),
        ("GATEWAY_PRODUCTION", "maybe"),
        ("GATEWAY_REQUEST_DEADLINE", "0"),
        ("GATEWAY_UPSTREAM_RATE_LIMIT", "0"),
        ("GATEWAY_UPSTREAM_BOOKING_RESERVE", "1"),
        ("GATEWAY_UPSTREAM_BUDGET_WAIT", "-1"),
        ("GATEWAY_UPSTREAM_RETRY_RATIO", "2"),
        ("GATEWAY_UPSTREAM_BREAKER_FAILURES", "none"),
        ("GATEWAY_UPSTREAM_MAX_CONNECTIONS", "0"),
        ("GATEWAY_REDIS_TIMEOUT", "0"),
        ("GATEWAY_REDIS_BREAKER_COOLDOWN", "-3"),
        ("GATEWAY_HOLD_TTL", "0"),
        ("GATEWAY_HOLD_TTL", "1801"),
        ("GATEWAY_HOLD_TTL", "soon"),
        ("GATEWAY_HOLD_MAX_RENEWALS", "-1"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_a_booking_info_is_fresh_no_longer_than_the_month_it_embeds() -> None:
    assert Settings(booking_info_ttl=60, availability_ttl=30).booking_info_fresh_for == 30
    assert Settings(booking_info_ttl=20, availability_ttl=30).booking_info_fresh_for == 20


def test_fixtures_path_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "fixtures.json"
    path.write_text("{}")
    assert Settings.from_environ({"SANDBOX_FIXTURES": str(path)}).sandbox_fixtures == path


def test_public_surface_settings_are_parsed() -> None:
    settings = Settings.from_environ(
        {
            "GATEWAY_MAX_QUERY_DEPTH": "6",
            "GATEWAY_MAX_ALIASES": "0",
            "GATEWAY_MAX_TOKENS": "500",
            "GATEWAY_MAX_ROOT_FIELDS": "3",
            "GATEWAY_MAX_DIRECTIVES": "2",
            "GATEWAY_MAX_FRAGMENT_SPREADS": "0",
            "GATEWAY_MAX_FIELDS": "30",
            "GATEWAY_L1_MAX_BYTES": "1000000",
            "GATEWAY_APQ_MAX_DOCUMENT_BYTES": "0",
            "GATEWAY_MAX_SLOTS": "1000",
            "GATEWAY_MAX_QUERY_COST": "40",
            "GATEWAY_MAX_STRING_LENGTH": "300",
            "GATEWAY_MAX_BODY_BYTES": "1024",
            "GATEWAY_PERSISTED_ONLY": "true",
            "GATEWAY_OPERATIONS_DIR": str(Path(__file__).parent),
            "GATEWAY_INTROSPECTION": "false",
            "GATEWAY_API_KEYS": "partner-a:key1-secret:600, partner-b:key2:x:secret:60",
            "GATEWAY_PASS_THROUGH_AUTH": "true",
            "GATEWAY_MAX_TENANTS": "64",
        }
    )
    assert (settings.max_query_depth, settings.max_aliases, settings.max_tokens) == (6, 0, 500)
    assert (settings.max_root_fields, settings.max_directives, settings.max_slots) == (3, 2, 1000)
    assert (settings.max_query_cost, settings.max_string_length) == (40, 300)
    assert (settings.max_fragment_spreads, settings.max_fields) == (0, 30)
    assert (settings.l1_max_bytes, settings.apq_max_document_bytes) == (1_000_000, 0)
    assert settings.max_body_bytes == 1024
    assert settings.persisted_only is True
    assert settings.operations_dir == Path(__file__).parent
    assert settings.introspection_enabled is False
    assert [(k.name, k.key, k.per_minute) for k in settings.api_keys] == [
        ("partner-a", "key1-secret", 600),
        ("partner-b", "key2:x:secret", 60),  # a key may hold colons
    ]
    assert "secret" not in repr(settings)
    assert settings.pass_through_auth is True
    assert settings.max_tenants == 64
    assert Settings.from_environ({}).max_tenants == 1024


def test_the_public_url_is_absolute_and_kept_without_its_trailing_slash() -> None:
    assert Settings.from_environ({}).public_url is None
    given = {"GATEWAY_PUBLIC_URL": "https://meetings.example.com/gw/"}
    assert Settings.from_environ(given).public_url == "https://meetings.example.com/gw"


def test_introspection_defaults_to_off_in_production_only() -> None:
    assert Settings.from_environ({}).introspection_enabled is True
    assert Settings.from_environ({"GATEWAY_PRODUCTION": "true"}).introspection_enabled is False
    both = {"GATEWAY_PRODUCTION": "true", "GATEWAY_INTROSPECTION": "on"}
    assert Settings.from_environ(both).introspection_enabled is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GATEWAY_MAX_QUERY_DEPTH", "0"),
        ("GATEWAY_MAX_ALIASES", "-1"),
        ("GATEWAY_MAX_SLOTS", "5001"),
        ("GATEWAY_MAX_FRAGMENT_SPREADS", "-1"),
        ("GATEWAY_MAX_FIELDS", "0"),
        ("GATEWAY_L1_MAX_BYTES", "0"),
        ("GATEWAY_APQ_MAX_DOCUMENT_BYTES", "-1"),
        ("GATEWAY_MAX_BODY_BYTES", "big"),
        ("GATEWAY_OPERATIONS_DIR", "/no/such/dir"),
        ("GATEWAY_API_KEYS", "partner:short:60"),
        ("GATEWAY_API_KEYS", "partner:long-enough-key:0"),
        ("GATEWAY_API_KEYS", "bad name:long-enough-key:60"),
        ("GATEWAY_API_KEYS", "a:long-enough-key:60,a:other-long-key:60"),
        ("GATEWAY_PASS_THROUGH_AUTH", "maybe"),
        ("GATEWAY_PUBLIC_URL", "meetings.example.com"),
        ("GATEWAY_PUBLIC_URL", "/gateway"),
        ("GATEWAY_PUBLIC_URL", "ftp://meetings.example.com"),
        ("GATEWAY_PUBLIC_URL", "https://meetings.example.com/?next=x"),
        ("GATEWAY_MAX_TENANTS", "0"),
        ("GATEWAY_MAX_TENANTS", "many"),
    ],
)
def test_bad_public_surface_values_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({variable: value})
    assert raised.value.variable == variable
    assert "long-enough-key" not in str(raised.value)


def test_the_api_version_defaults_to_the_latest_date_version() -> None:
    assert Settings.from_environ({}).hubspot_api_version == "2026-09"
    for version in ("v3", "2026-03", "2026-09"):
        chosen = Settings.from_environ({"HUBSPOT_API_VERSION": version})
        assert chosen.hubspot_api_version == version


def test_a_bad_api_version_lists_the_supported_ones() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({"HUBSPOT_API_VERSION": "v4"})
    assert "HUBSPOT_API_VERSION" in str(caught.value)
    assert "v3, 2026-03, 2026-09" in str(caught.value)


def test_the_redis_and_pool_bounds_are_read() -> None:
    settings = Settings.from_environ(
        {
            "GATEWAY_UPSTREAM_MAX_CONNECTIONS": "8",
            "GATEWAY_REDIS_TIMEOUT": "0.5",
            "GATEWAY_REDIS_BREAKER_COOLDOWN": "10",
        }
    )
    assert (settings.upstream_max_connections, settings.redis_timeout) == (8, 0.5)
    assert settings.redis_breaker_cooldown == 10.0


def test_hold_settings_default_and_parse() -> None:
    assert (Settings().hold_ttl, Settings().hold_max_renewals) == (300.0, 3)
    parsed = Settings.from_environ({"GATEWAY_HOLD_TTL": "1800", "GATEWAY_HOLD_MAX_RENEWALS": "0"})
    assert (parsed.hold_ttl, parsed.hold_max_renewals) == (1800.0, 0)


def test_live_availability_settings_default_and_parse() -> None:
    defaults = Settings.from_environ({})
    assert (defaults.max_streams, defaults.max_subscriptions_per_connection) == (10_000, 10)
    assert (defaults.subscription_max_days, defaults.stream_queue) == (31, 32)
    assert defaults.stream_heartbeat == 15.0
    assert defaults.hubspot_client_secret is None
    settings = Settings.from_environ(
        {
            "GATEWAY_MAX_STREAMS": "5",
            "GATEWAY_MAX_SUBSCRIPTIONS_PER_CONNECTION": "2",
            "GATEWAY_SUBSCRIPTION_MAX_DAYS": "7",
            "GATEWAY_STREAM_QUEUE": "4",
            "GATEWAY_STREAM_HEARTBEAT": "2.5",
            "HUBSPOT_CLIENT_SECRET": "s3cret-value",
            "SANDBOX_WEBHOOK_URL": "http://127.0.0.1:8000/webhooks/hubspot",
            "SANDBOX_CLIENT_SECRET": "s3cret-value",
        }
    )
    assert (settings.max_streams, settings.max_subscriptions_per_connection) == (5, 2)
    assert (settings.subscription_max_days, settings.stream_queue) == (7, 4)
    assert settings.stream_heartbeat == 2.5
    assert settings.hubspot_client_secret == "s3cret-value"
    assert "s3cret-value" not in repr(settings)
    assert settings.sandbox_webhook_url == "http://127.0.0.1:8000/webhooks/hubspot"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"GATEWAY_MAX_STREAMS": "0"}, "GATEWAY_MAX_STREAMS"),
        ({"GATEWAY_STREAM_HEARTBEAT": "-1"}, "GATEWAY_STREAM_HEARTBEAT"),
        ({"SANDBOX_WEBHOOK_URL": "http://127.0.0.1:8000/hook"}, "SANDBOX_WEBHOOK_URL"),
        ({"SANDBOX_WEBHOOK_URL": "ftp://x", "SANDBOX_CLIENT_SECRET": "s"}, "SANDBOX_WEBHOOK_URL"),
    ],
)
def test_bad_live_availability_values_name_their_variable(
    environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environ(environ)
    assert refused.value.variable == variable
