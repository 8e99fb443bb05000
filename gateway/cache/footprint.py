"""What a cached value costs in memory: its own size and that of everything it holds.

``sys.getsizeof`` counts an object alone (a list, not its items); the in-process tier holds
values as Python objects (nothing is serialized), so its byte bound needs the whole graph.
Containers, dataclasses and slotted or plain objects are walked, each object once; classes,
modules, functions and enum members are shared by every entry and counted as a reference
only. Walked without recursion: values can nest deeply.

A long list of items of one type (an availability's slots, a month's busy ranges) is
measured on its first ``SAMPLE`` items and the rest counted alike: walking thousands of
look-alike objects on every cache write would cost more than the bound is worth.
"""

from __future__ import annotations

import enum
import sys
import types
from collections.abc import Iterator

SAMPLE = 16
_LEAVES = (str, bytes, bytearray, int, float, complex, bool, type(None), memoryview)
_SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, enum.Enum)


def footprint(value: object) -> int:
    """Bytes held by ``value`` and all it refers to, each object counted once (long lists of
    look-alike items estimated from a sample)."""
    return _walk(value, set())


def _walk(value: object, seen: set[int]) -> int:
    stack = [value]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, _SHARED):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, _LEAVES):
            continue
        if isinstance(item, list | tuple) and len(item) > SAMPLE and _alike(item):
            sample = sum(_walk(part, seen) for part in item[:SAMPLE])
            total += sample * len(item) // SAMPLE
            continue
        stack.extend(_held(item))
    return total


def _alike(items: list[object] | tuple[object, ...]) -> bool:
    # Told from items spread over the whole list, as the estimate it serves is.
    first = type(items[0])
    return all(type(item) is first for item in items[:: max(1, len(items) // SAMPLE)])


def _held(item: object) -> Iterator[object]:
    if isinstance(item, dict):
        yield from item.keys()
        yield from item.values()
        return
    if isinstance(item, list | tuple | set | frozenset):
        yield from item
        return
    attributes = getattr(item, "__dict__", None)
    if attributes is not None:
        yield attributes
    for cls in type(item).__mro__:
        slots = getattr(cls, "__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot not in ("__dict__", "__weakref__"):
                yield getattr(item, slot, None)
