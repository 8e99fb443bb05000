"""The schema extensions' lifecycle hooks, entered without rebuilding them for every request.

Strawberry's runner, for each of a request's four stages, looks at every extension's hook,
wraps it in a fresh ``contextlib.contextmanager`` (copying the function's attributes) and
enters the result on an ``ExitStack``. A hook is a method of the extension's class: which
classes override which hook, and the context manager each becomes, is worked out here once
per class. A stage whose hooks are all generator functions (every extension the gateway
uses) enters them in order and leaves them in reverse, as the exit stack would: an exception
is thrown into each, a hook may replace it or keep it from the older ones, and a hook that
fails to enter fails the stage, its predecessors left as they are (as strawberry does). A
stage with any other kind of hook (a coroutine, an async generator, a plain callable) is
left to strawberry's own manager.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

Hook = Callable[[SchemaExtension], contextlib.AbstractContextManager[None]]

# Marks a hook this module does not enter itself (strawberry's manager does).
_OTHER = object()


_HOOKS: dict[tuple[type[SchemaExtension], str], Hook | object | None] = {}


def _hook(kind: type[SchemaExtension], name: str) -> Hook | object | None:
    """``kind``'s own ``name`` hook as a context manager factory; None when it keeps the
    base class's (which does nothing), ``_OTHER`` when it is not a generator function."""
    key = (kind, name)
    if key not in _HOOKS:
        found = getattr(kind, name)
        if found is getattr(SchemaExtension, name):
            _HOOKS[key] = None
        elif inspect.isgeneratorfunction(found):
            _HOOKS[key] = contextlib.contextmanager(found)
        else:
            _HOOKS[key] = _OTHER
    return _HOOKS[key]


class _Stage:
    """One stage's hooks, entered in order and left in reverse (``ExitStack``'s rules)."""

    __slots__ = ("_entered", "_hooks")

    def __init__(self, hooks: list[contextlib.AbstractContextManager[None]]) -> None:
        self._hooks = hooks
        self._entered: list[contextlib.AbstractContextManager[None]] = []

    def __enter__(self) -> None:
        # As strawberry's manager: a hook that fails to enter fails the stage, and the hooks
        # entered before it are not left (the stage's body never runs).
        for hook in self._hooks:
            hook.__enter__()
            self._entered.append(hook)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._leave(exc)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._leave(exc)

    def _leave(self, exc: BaseException | None) -> None:
        """Leave the entered hooks, newest first. An exception a hook raises is what the older
        ones see, and what is raised at the end; one a hook swallows, the older ones do not
        see, though it still leaves the stage (strawberry's manager drops the exit stack's
        answer)."""
        pending = exc
        while self._entered:
            hook = self._entered.pop()
            try:
                if pending is None:
                    swallowed = hook.__exit__(None, None, None)
                else:
                    swallowed = hook.__exit__(type(pending), pending, pending.__traceback__)
                if swallowed:
                    pending = None
            except BaseException as raised:
                if pending is not None and raised is not pending and raised.__context__ is None:
                    raised.__context__ = pending
                pending = raised
        if pending is not None and pending is not exc:
            raise pending


def _stage(
    extensions: list[SchemaExtension], manager: type[ExtensionContextManagerBase]
) -> _Stage | ExtensionContextManagerBase:
    hooks: list[contextlib.AbstractContextManager[None]] = []
    for extension in extensions:
        hook = _hook(type(extension), manager.HOOK_NAME)
        if hook is _OTHER:
            return manager(extensions)
        if callable(hook):
            hooks.append(hook(extension))
    return _Stage(hooks)


class HookRunner(SchemaExtensionsRunner):
    """Strawberry's runner, with each stage's generator hooks entered as ``_Stage`` does."""

    def operation(self) -> Any:
        return _stage(self.extensions, OperationContextManager)

    def validation(self) -> Any:
        return _stage(self.extensions, ValidationContextManager)

    def parsing(self) -> Any:
        return _stage(self.extensions, ParsingContextManager)

    def executing(self) -> Any:
        return _stage(self.extensions, ExecutingContextManager)
