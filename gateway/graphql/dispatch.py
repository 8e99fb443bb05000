"""graphql-core's validation rules with their handlers found once per class, not per request.

A ``Visitor`` finds the enter and leave handlers for each kind of node the first time it meets
one, by name (``enter_field``, else ``enter``), on the instance: each validation builds a fresh
instance of every rule, so every validation looks up some 600 names again, most of them
missing (a missing attribute costs a raised and caught ``AttributeError``): about a sixth of
what validating a frontend's month query costs (1.4 ms).

``dispatched(rule)`` is the rule with the lookup made once per (class, kind) and the found
functions bound to each instance; its behaviour is the rule's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import ASTValidationRule
from graphql.language.visitor import EnterLeaveVisitor

_Handler = Callable[..., Any] | None


def _handler(owner: type, action: str, kind: str) -> _Handler:
    found: _Handler = getattr(owner, f"{action}_{kind}", None) or getattr(owner, action, None)
    return found


class _Dispatched(ASTValidationRule):
    _handlers: dict[str, tuple[_Handler, _Handler]]

    def get_enter_leave_for_kind(self, kind: str) -> EnterLeaveVisitor:
        try:
            return self.enter_leave_map[kind]
        except KeyError:
            pass
        handlers = self._handlers
        found = handlers.get(kind)
        if found is None:
            owner = type(self)
            found = handlers[kind] = (
                _handler(owner, "enter", kind),
                _handler(owner, "leave", kind),
            )
        enter, leave = found
        bound = self.enter_leave_map[kind] = EnterLeaveVisitor(
            enter.__get__(self) if enter is not None else None,
            leave.__get__(self) if leave is not None else None,
        )
        return bound


_MADE: dict[type[ASTValidationRule], type[ASTValidationRule]] = {}


def dispatched(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """``rule`` with its handlers looked up once per kind of node for every instance."""
    made = _MADE.get(rule)
    if made is None:
        made = _MADE[rule] = type(rule.__name__, (_Dispatched, rule), {"_handlers": {}})
    return made
