"""The storage tiers behind the read-through layer.

A ``Store`` maps string keys to values that live for a given number of seconds and reports
each hit's age, so freshness is decided by the reader, not the writer. Two implementations:

- ``MemoryStore`` (here): the in-process tier, a cachetools ``TLRUCache`` bounded by entry
  count and, optionally, by bytes (``gateway.cache.footprint``), holding Python objects as
  they are (nothing is serialized).
- ``RedisStore`` (``gateway.cache.redis_store``): the shared tier, holding bytes.

Ages come from a monotonic timer (the in-process tier) or from Redis's own key expiry (the
shared tier), never from the gateway's ``Clock``: ``SANDBOX_NOW`` freezes that clock and
entries must still expire.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from cachetools import TLRUCache

from gateway.cache.footprint import footprint

V = TypeVar("V")


class Hit(NamedTuple, Generic[V]):
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
    weight: int = 1  # what the slot counts against the cache's bound


def _weight(_slot: _Slot[Any]) -> int:
    return _slot.weight


def _expiry(_key: str, slot: _Slot[Any], _now: float) -> float:
    return slot.expires


class MemoryStore(Generic[V]):
    """The in-process tier: least recently used entries go first once ``max_entries`` is hit,
    or once the entries' bytes would pass ``max_bytes``; a value larger than that alone is
    not kept (and drops what the key held before).

    Both bounds are one cachetools bound on weights: an entry weighs its bytes, but never less
    than ``max_bytes / max_entries``, so the weights stay within ``max_bytes`` only while the
    entries are at most ``max_entries`` and their bytes at most ``max_bytes``."""

    def __init__(
        self,
        max_entries: int,
        *,
        max_bytes: int | None = None,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._timer = timer
        self._max_bytes = max_bytes
        self._floor = 1 if max_bytes is None else max(1, math.ceil(max_bytes / max_entries))
        self._cache: TLRUCache[str, _Slot[V]] = TLRUCache(
            max_entries if max_bytes is None else max_bytes,
            _expiry,
            timer=timer,
            getsizeof=_weight,
        )

    def __len__(self) -> int:
        return len(self._cache)

    @property
    def weight(self) -> int:
        """What the entries count against the bound: at least their bytes, when bounded by
        bytes (entries that expired but were not yet dropped included)."""
        return int(self._cache.currsize)

    async def get(self, key: str) -> Hit[V] | None:
        return self.lookup(key)

    def lookup(self, key: str) -> Hit[V] | None:
        """``get`` without a coroutine: the in-process tier answers at once."""
        try:
            # One lookup (``get`` would ask ``in`` first, then look it up again).
            slot = self._cache[key]
        except KeyError:  # absent or expired
            return None
        return Hit(slot.value, self._timer() - slot.born)

    async def set(self, key: str, value: V, lifetime: float, *, age: float = 0.0) -> None:
        born = self._timer() - age
        weight = 1
        if self._max_bytes is not None:
            weight = max(self._floor, footprint(key) + footprint(value))
            if weight > self._max_bytes:
                self._cache.pop(key, None)
                return
        self._cache[key] = _Slot(value, born, born + lifetime, weight)

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
