"""The storage tiers behind the read-through layer.

A ``Store`` maps string keys to values that live for a given number of seconds and reports
each hit's age, so freshness is decided by the reader, not the writer. Two implementations:

- ``MemoryStore`` (here): the in-process tier, a cachetools ``TLRUCache`` bounded by entry
  count, holding Python objects as they are (nothing is serialized).
- ``RedisStore`` (``gateway.cache.redis_store``): the shared tier, holding bytes.

Ages come from a monotonic timer (the in-process tier) or from Redis's own key expiry (the
shared tier), never from the gateway's ``Clock``: ``SANDBOX_NOW`` freezes that clock and
entries must still expire.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from cachetools import TLRUCache

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Hit(Generic[V]):
    value: V
    age: float  # seconds since the value was stored, counting any age it was stored with


class Store(Protocol[V]):
    async def get(self, key: str) -> Hit[V] | None:
        """The value under ``key`` and its age, or ``None`` when absent or expired."""
        ...

    async def set(self, key: str, value: V, lifetime: float, *, age: float = 0.0) -> None:
        """Store ``value`` until it is ``lifetime`` seconds old; ``age`` is how old it is now."""
        ...

    async def delete(self, keys: Iterable[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class _Slot(Generic[V]):
    value: V
    born: float
    expires: float


def _expiry(_key: str, slot: _Slot[Any], _now: float) -> float:
    return slot.expires


class MemoryStore(Generic[V]):
    """The in-process tier: least recently used entries go first once ``max_entries`` is hit."""

    def __init__(self, max_entries: int, *, timer: Callable[[], float] = time.monotonic) -> None:
        self._timer = timer
        self._cache: TLRUCache[str, _Slot[V]] = TLRUCache(max_entries, _expiry, timer=timer)

    def __len__(self) -> int:
        return len(self._cache)

    async def get(self, key: str) -> Hit[V] | None:
        slot = self._cache.get(key)
        if slot is None:
            return None
        return Hit(slot.value, self._timer() - slot.born)

    async def set(self, key: str, value: V, lifetime: float, *, age: float = 0.0) -> None:
        born = self._timer() - age
        self._cache[key] = _Slot(value, born, born + lifetime)

    async def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._cache.pop(key, None)

    def items(self) -> list[tuple[str, V]]:
        """Every live entry's key and value, as of now."""
        return [(key, slot.value) for key, slot in list(self._cache.items())]

    def evict(self, predicate: Callable[[str, V], bool]) -> int:
        """Drop every live entry for which ``predicate(key, value)`` holds; returns how many."""
        doomed = [key for key, slot in list(self._cache.items()) if predicate(key, slot.value)]
        for key in doomed:
            self._cache.pop(key, None)
        return len(doomed)

    def clear(self) -> None:
        self._cache.clear()
