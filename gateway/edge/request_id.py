"""The request-id rule: a well-formed ``X-Request-Id`` the client sent is kept, else a new one.

The id names the request in every log line and is the GraphQL error masking's correlation id.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import Iterable

REQUEST_ID_HEADER = b"x-request-id"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def sent_request_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The ``X-Request-Id`` the client sent, as it sent it (None without one)."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            return value.decode("latin-1")
    return None


def well_formed(sent: str | None) -> str | None:
    """``sent`` (an ``X-Request-Id`` as sent), when it is a well-formed id."""
    return sent if sent is not None and REQUEST_ID.match(sent) else None


def given_request_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The client's id, when it sent a well-formed one."""
    return well_formed(sent_request_id(headers))


class _Ids:
    """A random prefix per process and a counter: unique ids without a system call each (the
    ids are echoed to clients and logged, never a secret). A forked child draws its own prefix
    (``os.register_at_fork``)."""

    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        """A new prefix and counter: at start, and in a forked child."""
        self._prefix, self._counter = secrets.token_hex(8), itertools.count()

    def new(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


_IDS = _Ids()
os.register_at_fork(after_in_child=_IDS.start)


def new_request_id() -> str:
    """32 hexadecimal digits, different for every request of every process."""
    return _IDS.new()


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The id a request goes by: the client's well-formed one, else a new one."""
    return given_request_id(headers) or new_request_id()
