"""Structured logs: one line per event, each carrying the request it belongs to.

    configure_logging("json", secrets=[token])      # from cli.py, once per process
    facts = request_facts(scope, tenant)            # the edge, first of all (gateway.edge.gate)
    token = enter(facts) ... leave(token)
    AccessLog().write(facts.context(), method, route, status, seconds)   # the edge, last

Each HTTP request gets an id (``edge.request_id``'s rule, echoed back and seen by the GraphQL
error masking as the correlation id), kept with the tenant hash and the GraphQL operation in a
context variable that every log record picked up by the installed handler is stamped with,
whatever logger made it (uvicorn's, httpx's, the gateway's). Nothing here reads a body: the
operation is what the edge's body reader parsed once access control let the request in
(``unknown`` until then, and for a refused request). The access line carries the route template
instead of the raw path, so no slug or query string is logged.


Nothing a person typed into a booking and no credential may reach a log: lines are built from
chosen fields only (never request bodies or variables), and every formatted line is scrubbed
of e-mail addresses, bearer tokens, HubSpot private-app tokens and the configured secrets
before it is written, as a last guard for exception texts and third-party messages. The access
line is the exception to the patterns (not to the secrets): every field of it is scrubbed where
it enters (a route template, a known method, a request id of ``[A-Za-z0-9._-]`` that does not
look like a HubSpot token, a GraphQL name, a tenant hash, numbers), so no pattern can match it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from typing import IO, Any, NamedTuple

import orjson
from starlette.types import Scope

from gateway.edge.body import graphql_request_of
from gateway.edge.refusal import GRAPHQL_PATH
from gateway.edge.request import UNREADABLE, GraphQLOperation, GraphQLRequest
from gateway.edge.request_id import (
    REQUEST_ID_HEADER,
    new_request_id,
    sent_request_id,
    well_formed,
)

ACCESS_LOGGER = "gateway.access"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
_HUBSPOT_TOKEN = re.compile(r"\bpat-[a-z0-9]+-[0-9a-fA-F-]{8,}")

# Methods the access line names as sent; any other is logged as OTHER.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Set on a record whose fields were scrubbed where they entered: its line skips the patterns.
_SCRUBBED = "scrubbed_at_entry"

# Fields a caller may pass with ``extra=`` that formatters write out; anything else is dropped.
_EXTRA_FIELDS = (
    "method",
    "route",
    "status",
    "duration_ms",
    "endpoint",
    "api_version",
    "tool",
    "outcome",
)


class RequestFacts(NamedTuple):
    request_id: str
    tenant: str
    graphql: bool  # a POST to /graphql, or a GET with a query string
    scope: Scope

    @property
    def operation(self) -> GraphQLOperation | None:
        """None for anything but a GraphQL request; read when asked, so that what the edge
        parsed after access control names the operation of the log lines and metrics."""
        if not self.graphql:
            return None
        found = graphql_request_of(self.scope)
        return found.operation if isinstance(found, GraphQLRequest) else UNREADABLE

    def context(self) -> dict[str, str]:
        """What every log line made under this request carries (its ``operation``: the GraphQL
        operation's name, "" for any other request)."""
        operation = self.operation
        return {
            "request_id": self.request_id,
            "operation": "" if operation is None else operation.name,
            "tenant": self.tenant,
        }


_CURRENT: ContextVar[RequestFacts | None] = ContextVar("gateway_request", default=None)


def request_facts(scope: Scope, tenant: str) -> RequestFacts:
    """What names an HTTP request in the logs: its id (``edge.request_id``'s rule; a new one is
    written into the scope's headers, so that everything downstream, such as the GraphQL
    context's correlation id, sees the id the logs carry) and the tenant."""
    headers = scope["headers"]
    sent = sent_request_id(headers)
    request_id = well_formed(sent)
    if request_id is None or _HUBSPOT_TOKEN.search(request_id):
        request_id = new_request_id()
        kept = (
            headers if sent is None else [pair for pair in headers if pair[0] != REQUEST_ID_HEADER]
        )
        scope["headers"] = [*kept, (REQUEST_ID_HEADER, request_id.encode())]
    # A GET asks for an operation in its query string (without one, it is GraphiQL's page).
    method, asks = scope["method"], bool(scope.get("query_string"))
    graphql = scope["path"] == GRAPHQL_PATH and (method == "POST" or (method == "GET" and asks))
    return RequestFacts(request_id, tenant, graphql, scope)


def enter(facts: RequestFacts) -> Token[RequestFacts | None]:
    """Every log record made from here on (until ``leave``) carries ``facts``."""
    return _CURRENT.set(facts)


def leave(token: Token[RequestFacts | None]) -> None:
    _CURRENT.reset(token)


class AccessLine(NamedTuple):
    """One request's access line: every field scrubbed where it entered."""

    created: float
    context: dict[str, str]  # ``RequestFacts.context``
    method: str
    route: str
    status: int
    seconds: float

    @property
    def message(self) -> str:
        return f"{self.method} {self.route} {self.status}"

    def fields(self) -> dict[str, object]:
        """The fields a record of the line carries past the message (``extra=``)."""
        return {
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "duration_ms": round(self.seconds * 1000, 2),
        }


class AccessLog:
    """The access line of each HTTP request, with the route template instead of the raw path
    so that no slug or query string is logged.

    When the only handler is the one ``configure_logging`` installed, the line goes straight to
    it (its formatter renders it as it renders a record, its stream and lock write it): a line
    per request would otherwise pay for logging's record, filter and dispatch machinery. With
    anyone else's handler installed too, the line is an ordinary record."""

    def __init__(self) -> None:
        self._logger = logging.getLogger(ACCESS_LOGGER)
        self._root = logging.getLogger()

    def write(
        self, context: dict[str, str], method: str, route: str, status: int, seconds: float
    ) -> None:
        """The line of a request (``RequestFacts.context``; ``route_template``'s route)."""
        if not self._logger.isEnabledFor(logging.INFO):
            return
        method = method if method in _METHODS else "OTHER"
        line = AccessLine(time.time(), context, method, route, status, seconds)
        handler = _sole_handler(self._logger, self._root)
        if handler is not None:
            handler.write_access(line)
            return
        extra = {**line.fields(), _SCRUBBED: True}
        self._logger.info("%s %s %d", method, line.route, status, extra=extra)


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (set by Starlette's router), so that
    neither logs nor metric labels carry slugs, ids or arbitrary probed paths."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


# -- formatting ------------------------------------------------------------------------------


class _Scrubber:
    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(secret for secret in secrets if secret)

    def secrets_of(self, line: str) -> str:
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        return line

    def __call__(self, line: str, record: logging.LogRecord) -> str:
        line = self.secrets_of(line)
        if getattr(record, _SCRUBBED, False) and not record.exc_info:
            return line
        line = _BEARER.sub("Bearer [redacted]", line)
        line = _HUBSPOT_TOKEN.sub("[redacted]", line)
        return _EMAIL.sub("[email]", line)


class _RequestFactsFilter(logging.Filter):
    """Stamps each record with the request it was made under (on the handler, so records of
    every logger get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        facts = _CURRENT.get()
        for name, value in (_NO_REQUEST if facts is None else facts.context()).items():
            setattr(record, name, value)
        return True


class _Stamps:
    """A record's time: ``pattern`` (a ``strftime`` pattern of whole seconds), then ``mark``,
    its milliseconds and ``suffix``. The seconds' part is rendered once per second, the
    milliseconds' parts once."""

    def __init__(
        self, pattern: str, convert: Callable[[float], time.struct_time], mark: str, suffix: str
    ) -> None:
        self._pattern = pattern
        self._convert = convert
        self._millis = tuple(f"{mark}{millis:03d}{suffix}" for millis in range(1000))
        self._second = -1
        self._rendered = ""

    def __call__(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second = second
            self._rendered = time.strftime(self._pattern, self._convert(second))
        return self._rendered + self._millis[int((created - second) * 1000)]


# A line made outside any request (``RequestFacts.context``'s fields, empty).
_NO_REQUEST = {"request_id": "", "operation": "", "tenant": ""}


def _context_of(record: logging.LogRecord) -> dict[str, str]:
    """The request a record was made under, as ``_RequestFactsFilter`` stamped it."""
    return {name: getattr(record, name, "") for name in _NO_REQUEST}


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._scrub = _Scrubber(secrets)
        self._stamps = _Stamps("%Y-%m-%dT%H:%M:%S", time.gmtime, ".", "+00:00")

    def _head(
        self, created: float, level: str, logger: str, message: str, context: dict[str, str]
    ) -> dict[str, Any]:
        time_text = self._stamps(created)
        return {"time": time_text, "level": level, "logger": logger, "message": message, **context}

    def format(self, record: logging.LogRecord) -> str:
        line = self._head(
            record.created,
            record.levelname.lower(),
            record.name,
            record.getMessage(),
            _context_of(record),
        )
        for name in _EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self._scrub(orjson.dumps(line, default=str).decode(), record)

    def access(self, line: AccessLine) -> str:
        """``line`` as ``format`` renders its record."""
        head = self._head(line.created, "info", ACCESS_LOGGER, line.message, line.context)
        return self._scrub.secrets_of(orjson.dumps(head | line.fields()).decode())


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the same fields, one readable line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(context)s%(message)s")
        self._scrub = _Scrubber(secrets)
        self._stamps = _Stamps("%Y-%m-%d %H:%M:%S", time.localtime, ",", "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return self._stamps(record.created)

    @staticmethod
    def _bracketed(context: dict[str, str]) -> str:
        parts = [f"{name}={value}" for name, value in context.items() if value]
        return f"[{' '.join(parts)}] " if parts else ""

    def format(self, record: logging.LogRecord) -> str:
        record.context = self._bracketed(_context_of(record))
        return self._scrub(super().format(record), record)

    def access(self, line: AccessLine) -> str:
        """``line`` as ``format`` renders its record."""
        return self._scrub.secrets_of(
            f"{self._stamps(line.created)} INFO    {ACCESS_LOGGER} {self._bracketed(line.context)}"
            f"{line.message}"
        )


class _Installed(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure_logging`` installs, told apart from anyone else's.

    Access lines are kept as they come and rendered and written once per turn of the event
    loop: the lines of the requests answered in one turn reach the stream in one write and one
    flush, and no request waits for its line's rendering. Any other record writes the lines
    kept before it first, then itself, and flushes at once."""

    def __init__(self, stream: IO[str], formatter: JsonFormatter | TextFormatter) -> None:
        super().__init__(stream)
        self.setFormatter(formatter)
        self.lines = formatter
        self._kept: list[AccessLine] = []

    def createLock(self) -> None:  # noqa: N802  (logging's name)
        # The handler's lock, typed, taken directly (``acquire`` and ``release`` wrap it).
        self.lock = self._lock = threading.RLock()

    def write_access(self, line: AccessLine) -> None:
        if self.level > logging.INFO:
            return
        with self._lock:
            self._kept.append(line)
            if len(self._kept) > 1:
                return  # its turn's write is due already
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        loop.call_soon(self.flush)

    def emit(self, record: logging.LogRecord) -> None:
        self._write_kept()
        super().emit(record)

    def flush(self) -> None:
        with self._lock:
            self._write_kept()
            self.stream.flush()

    def close(self) -> None:
        self.flush()  # what is kept goes out before the handler does
        super().close()

    def _write_kept(self) -> None:
        """The kept access lines, written in one piece (under the handler's lock)."""
        if not self._kept:
            return
        kept, self._kept = self._kept, []
        end = self.terminator
        self.stream.write("".join([self.lines.access(line) + end for line in kept]))


def _sole_handler(logger: logging.Logger, root: logging.Logger) -> _Installed | None:
    """The installed handler, when every record of ``logger`` reaches it (on ``root``, the
    root logger) and nothing else."""
    if logger.handlers or logger.filters or not logger.propagate or len(root.handlers) != 1:
        return None
    handler = root.handlers[0]
    return handler if isinstance(handler, _Installed) and not root.filters else None


def configure_logging(
    log_format: str,
    *,
    stream: IO[str] | None = None,
    level: int = logging.INFO,
    secrets: Iterable[str] = (),
) -> logging.Handler:
    """Send every logger's records through one handler on the root logger.

    Calling it again replaces the handler it installed before (tests call it many times).
    uvicorn must be run with ``log_config=None`` so that it keeps its hands off.
    """
    secrets = tuple(secrets)
    formatter = JsonFormatter(secrets) if log_format == "json" else TextFormatter(secrets)
    handler = _Installed(stream or sys.stderr, formatter)
    handler.addFilter(_RequestFactsFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Installed)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    # No formatter here writes where a record was made, nor its thread or process: the logging
    # HOWTO's "Optimization" switches spare each record (an access line per request) finding them.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # httpx logs every upstream call with its full URL at INFO; the metrics count them instead.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    return handler
