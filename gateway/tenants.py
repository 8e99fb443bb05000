"""Per-tenant parts for pass-through mode, made on a tenant's first request and kept.

Each tenant (``tenant_id(token)``) gets its own bundle (a client calling with its token, its
rate budget, a ``MeetingsService`` and a response cache bound to it); the bundles share the
process's connection pool and cache. The least recently used are dropped past
``max_tenants``, so a flood of made-up tokens cannot grow memory without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Tenants(Generic[T]):
    def __init__(self, make: Callable[[str, str], T], *, max_tenants: int = 1024) -> None:
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
