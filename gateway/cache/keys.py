"""Cache key layout, shared by every process on one Redis.

    mg:v1:e:<tenant>:<resource>:<params>    an entry (L1 uses the same string)
    lease:mg:v1:e:...                        who is loading that entry right now
    mg:v1:t:<tenant>:<tag>                   the set of entry keys carrying a tag
    mg:v1:g:<tenant>:<tag>                   the tag's generation, bumped by every invalidation
    mg:v1:i:<tenant>:<sha256(key)>           an idempotent booking
    mg:v1:hi:<tenant>                        the tenant's live slot holds (id -> expiry)
    mg:v1:h:<tenant>:<hold id>               one slot hold (see holds)
    mg:v1:w:<tenant>:<sha256(event id)>      a webhook event applied (see deliveries)
    mg:v1:invalidate                         the pub/sub channel for invalidations and notes

``<tenant>`` is ``tenant_id(credential)``; ``<params>`` is the query string of the parameters
sorted by name with ``None`` dropped and every name and value percent-quoted, so no two parameter
sets share a key. Bump ``FORMAT_VERSION`` whenever the stored bytes change shape: old and new
processes then never read each other's entries during a rolling deploy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from urllib.parse import quote

FORMAT_VERSION = 1
PREFIX = f"mg:v{FORMAT_VERSION}"
INVALIDATION_CHANNEL = f"{PREFIX}:invalidate"

# Carried by every entry besides its own tags: invalidating it drops the whole tenant. Its
# generation is checked like any tag's, but no index of its keys is kept (see redis_store).
EVERY_ENTRY = "*"

# The sandbox is the upstream when there is no credential; it is a tenant of its own.
SANDBOX_TENANT = "sandbox"

_RESOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# What ``quote(text, safe="")`` leaves as it is: letters, digits and "_.-~".
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*\Z")

Params = Mapping[str, str | int | None]


def tenant_id(credential: str | None) -> str:
    """A short, stable, non-reversible name for the owner of an upstream credential.

    64 bits of SHA-256 keep keys short while making a collision between two real tenants
    practically impossible; the credential itself never reaches Redis.
    """
    if credential is None:
        return SANDBOX_TENANT
    return hashlib.sha256(credential.encode()).hexdigest()[:16]


def check_resource_name(name: str) -> str:
    if not _RESOURCE_NAME.match(name):
        raise ValueError(f"resource name {name!r} must be lowercase letters, digits and dashes")
    return name


def _quoted(text: str) -> str:
    # Most keys' parts are ids, slugs and digests, which quoting leaves as they are.
    return text if _UNRESERVED.match(text) else quote(text, safe="")


def normalize_params(params: Params) -> str:
    return "&".join(
        [
            f"{_quoted(name)}={_quoted(str(value))}"
            for name, value in sorted(params.items())
            if value is not None
        ]
    )


def entry_key(tenant: str, resource: str, params: Params) -> str:
    return f"{PREFIX}:e:{tenant}:{resource}:{normalize_params(params)}"


def entry_pattern(tenant: str) -> str:
    """A ``SCAN MATCH`` pattern for every entry of ``tenant`` (tenant names hold no glob)."""
    return f"{PREFIX}:e:{tenant}:*"


def lease_key(key: str) -> str:
    return f"lease:{key}"


def tag_key(tenant: str, tag: str) -> str:
    return f"{PREFIX}:t:{tenant}:{tag}"


def generation_key(tenant: str, tag: str) -> str:
    return f"{PREFIX}:g:{tenant}:{tag}"


def idempotency_key(tenant: str, key: str) -> str:
    # Hashed because the client chooses the key: its length and bytes are not ours to trust.
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{PREFIX}:i:{tenant}:{digest}"


def hold_index_key(tenant: str) -> str:
    return f"{PREFIX}:hi:{tenant}"


def hold_key(tenant: str, hold_id: str) -> str:
    """With an empty ``hold_id``: the prefix every hold key of ``tenant`` begins with."""
    return f"{PREFIX}:h:{tenant}:{hold_id}"


def delivery_key(tenant: str, event_id: str) -> str:
    # Hashed: the id is the sender's, its length and bytes are not ours to trust.
    digest = hashlib.sha256(event_id.encode()).hexdigest()
    return f"{PREFIX}:w:{tenant}:{digest}"
