"""Per-tenant parts for pass-through mode, made on a tenant's first request and kept.

Each tenant (``tenant_id(token)``) gets its own bundle (a client calling with its token, its
rate budget under the app's ceiling, a ``MeetingsService`` and a response cache bound to it);
the bundles share the process's connection pool and cache. The least recently used are dropped
past ``max_tenants`` (``GATEWAY_MAX_TENANTS``), so a flood of made-up tokens cannot grow memory
without bound; a dropped tenant that comes back gets a new bundle (its cached data, keyed by
tenant, is still in the shared cache, and its window is still in Redis when there is one).
Nor can such a flood spend more of HubSpot's limit than the app's ceiling allows: every
tenant's calls also count against the gateway's own budget.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Tenants(Generic[T]):
    def __init__(self, make: Callable[[str, str], T], *, max_tenants: int) -> None:
        """``make(tenant, token)`` builds one tenant's bundle."""
        self._make = make
        self._max = max_tenants
        self._bundles: OrderedDict[str, T] = OrderedDict()

    def get(self, tenant: str, token: str) -> T:
        bundle = self._bundles.get(tenant)
        if bundle is None:
            bundle = self._bundles[tenant] = self._make(tenant, token)
            while len(self._bundles) > self._max:
                self._bundles.popitem(last=False)
        else:
            self._bundles.move_to_end(tenant)
        return bundle

    def __len__(self) -> int:
        return len(self._bundles)
