from __future__ import annotations

import pytest

from gateway.cache.keys import (
    FORMAT_VERSION,
    check_resource_name,
    entry_key,
    idempotency_key,
    normalize_params,
    tenant_id,
)


def test_tenant_id_is_stable_short_and_hides_the_credential() -> None:
    tenant = tenant_id("pat-na1-secret")
    assert tenant == tenant_id("pat-na1-secret")
    assert len(tenant) == 16
    assert "secret" not in tenant
    assert tenant != tenant_id("pat-na1-other")


def test_no_credential_is_the_sandbox_tenant() -> None:
    assert tenant_id(None) == "sandbox"
    assert tenant_id(None) != tenant_id("")


def test_params_are_sorted_and_none_is_dropped() -> None:
    assert normalize_params({"b": 2, "a": "x", "c": None}) == "a=x&b=2"
    assert normalize_params({"a": "x", "b": "2"}) == normalize_params({"b": 2, "a": "x"})


def test_quoting_keeps_different_params_apart() -> None:
    assert normalize_params({"a": "1&b=2"}) != normalize_params({"a": "1", "b": "2"})
    assert entry_key("t", "links", {"x": "a:b"}) != entry_key("t", "links:x", {"b": "a"})


def test_entry_key_carries_version_tenant_resource_and_params() -> None:
    key = entry_key("abc", "availability", {"slug": "demo", "month": 0})
    assert key == f"mg:v{FORMAT_VERSION}:e:abc:availability:month=0&slug=demo"


def test_idempotency_keys_are_hashed_and_tenant_scoped() -> None:
    long_key = "k" * 10_000
    assert len(idempotency_key("t", long_key)) < 100
    assert idempotency_key("t1", "same") != idempotency_key("t2", "same")


@pytest.mark.parametrize("name", ["Links", "links:x", "", "-x", "a b"])
def test_resource_names_are_restricted(name: str) -> None:
    with pytest.raises(ValueError, match="resource name"):
        check_resource_name(name)
