"""A typed reader over upstream JSON that names the exact path of any drift from the spec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NoReturn

from gateway.errors import UpstreamContractError


class WireObject:
    """One JSON object of an upstream payload, read field by field with its path kept."""

    __slots__ = ("data", "path")

    def __init__(self, data: object, path: str = "$") -> None:
        if not isinstance(data, dict):
            _drift(path, "an object", data)
        self.data: dict[str, Any] = data
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}"

    def _required(self, key: str) -> object:
        if key not in self.data or self.data[key] is None:
            raise UpstreamContractError(f"upstream payload drifted: {self._at(key)} is missing")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self._required(key)
        if not isinstance(value, str):
            _drift(self._at(key), "a string", value)
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.text(key)

    def integer(self, key: str) -> int:
        value = self._required(key)
        if isinstance(value, bool) or not isinstance(value, int):
            _drift(self._at(key), "an integer", value)
        return value

    def opt_integer(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.integer(key)

    def flag(self, key: str) -> bool:
        value = self._required(key)
        if not isinstance(value, bool):
            _drift(self._at(key), "a boolean", value)
        return value

    def opt_flag(self, key: str, default: bool = False) -> bool:
        return default if self.data.get(key) is None else self.flag(key)

    def instant(self, key: str) -> datetime:
        """An ISO-8601 date-time; some HubSpot descriptions promise epoch ms, so take both."""
        value = self._required(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, UTC)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                _drift(self._at(key), "an ISO-8601 date-time", value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return _drift(self._at(key), "an ISO-8601 date-time", value)

    def opt_instant(self, key: str) -> datetime | None:
        return None if self.data.get(key) is None else self.instant(key)

    def obj(self, key: str) -> WireObject:
        return WireObject(self._required(key), self._at(key))

    def opt_obj(self, key: str) -> WireObject | None:
        return None if self.data.get(key) is None else self.obj(key)

    def objects(self, key: str) -> list[WireObject]:
        items = self._list(key)
        return [WireObject(item, f"{self._at(key)}[{i}]") for i, item in enumerate(items)]

    def opt_objects(self, key: str) -> list[WireObject]:
        return [] if self.data.get(key) is None else self.objects(key)

    def strs(self, key: str) -> tuple[str, ...]:
        items = self._list(key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                _drift(f"{self._at(key)}[{i}]", "a string", item)
        return tuple(items)

    def opt_strs(self, key: str) -> tuple[str, ...]:
        return () if self.data.get(key) is None else self.strs(key)

    def ints(self, key: str) -> tuple[int, ...]:
        items = self._list(key)
        for i, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, int):
                _drift(f"{self._at(key)}[{i}]", "an integer", item)
        return tuple(items)

    def mapping(self, key: str) -> dict[str, WireObject]:
        value = self._required(key)
        if not isinstance(value, dict):
            _drift(self._at(key), "an object", value)
        return {name: WireObject(item, f"{self._at(key)}.{name}") for name, item in value.items()}

    def _list(self, key: str) -> list[Any]:
        value = self._required(key)
        if not isinstance(value, list):
            _drift(self._at(key), "a list", value)
        return value


def _drift(path: str, expected: str, value: object) -> NoReturn:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    raise UpstreamContractError(
        f"upstream payload drifted: {path} should be {expected}, got {shown}"
    )
