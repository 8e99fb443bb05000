"""Structured logs: one line per event, each carrying the request it belongs to.

    configure_logging("json", secrets=[token])      # from cli.py, once per process
    Middleware(RequestContext, tenant=tenant)       # outermost: names every request

``RequestContext`` gives each HTTP request an id (``edge.request_id``'s rule, echoed back and
seen by the GraphQL error masking as the correlation id) and keeps it, with the tenant hash and
the GraphQL operation, in a context variable that every log record picked up by the installed
handler is stamped with, whatever logger made it (uvicorn's, httpx's, the gateway's). It reads
no body: the operation is what the edge's body reader parsed once access control let the
request in (``unknown`` until then, and for a refused request). It also writes the access line,
with the route template instead of the raw path so no slug or query string is logged.


Nothing a person typed into a booking and no credential may reach a log: lines are built from
chosen fields only (never request bodies or variables), and every formatted line is scrubbed
of e-mail addresses, bearer tokens, HubSpot private-app tokens and the configured secrets
before it is written, as a last guard for exception texts and third-party messages.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.edge.body import graphql_request_of
from gateway.edge.refusal import GRAPHQL_PATH
from gateway.edge.request import UNREADABLE, GraphQLOperation, GraphQLRequest
from gateway.edge.request_id import REQUEST_ID_HEADER, given_request_id, new_request_id
from gateway.edge.status import ResponseStatus

ACCESS_LOGGER = "gateway.access"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
_HUBSPOT_TOKEN = re.compile(r"\bpat-[a-z0-9]+-[0-9a-fA-F-]{8,}")

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


@dataclass(frozen=True, slots=True)
class RequestFacts:
    request_id: str
    tenant: str
    graphql: bool = False  # a POST to /graphql
    scope: Scope = field(default_factory=dict, repr=False, compare=False)

    @property
    def operation(self) -> GraphQLOperation | None:
        """None for anything but a GraphQL request; read when asked, so that what the edge
        parsed after access control names the operation of the log lines and metrics."""
        if not self.graphql:
            return None
        found = graphql_request_of(self.scope)
        return found.operation if isinstance(found, GraphQLRequest) else UNREADABLE

    @property
    def operation_name(self) -> str:
        return "" if self.operation is None else self.operation.name


_CURRENT: ContextVar[RequestFacts | None] = ContextVar("gateway_request", default=None)


def current_request() -> RequestFacts | None:
    return _CURRENT.get()


class RequestContext:
    """Pure ASGI middleware, outermost: see the module docstring."""

    def __init__(self, app: ASGIApp, *, tenant: str) -> None:
        self.app = app
        self.tenant = tenant
        self.access = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = given_request_id(scope["headers"])
        if request_id is None:
            request_id = new_request_id()
            # Rewritten so that everything downstream (the GraphQL context's correlation id)
            # sees the same id the logs carry.
            scope["headers"] = [
                *(pair for pair in scope["headers"] if pair[0] != REQUEST_ID_HEADER),
                (REQUEST_ID_HEADER, request_id.encode()),
            ]
        graphql = scope["method"] == "POST" and scope["path"] == GRAPHQL_PATH
        facts = RequestFacts(request_id, self.tenant, graphql, scope)
        token = _CURRENT.set(facts)
        started = time.perf_counter()
        answer = ResponseStatus(send, headers=[(REQUEST_ID_HEADER, request_id.encode())])

        try:
            await self.app(scope, receive, answer)
        finally:
            route = route_template(scope)
            self.access.info(
                "%s %s %d",
                scope["method"],
                route,
                answer.status,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": answer.status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            _CURRENT.reset(token)


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

    def __call__(self, line: str) -> str:
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        line = _BEARER.sub("Bearer [redacted]", line)
        line = _HUBSPOT_TOKEN.sub("[redacted]", line)
        return _EMAIL.sub("[email]", line)


class _RequestFactsFilter(logging.Filter):
    """Stamps each record with the request it was made under (on the handler, so records of
    every logger get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        facts = _CURRENT.get()
        record.request_id = facts.request_id if facts else ""
        record.operation = facts.operation_name if facts else ""
        record.tenant = facts.tenant if facts else ""
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._scrub = _Scrubber(secrets)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
            "operation": getattr(record, "operation", ""),
            "tenant": getattr(record, "tenant", ""),
        }
        for name in _EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self._scrub(json.dumps(line, default=str))


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the same fields, one readable line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(context)s%(message)s")
        self._scrub = _Scrubber(secrets)

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            f"{name}={value}"
            for name in ("request_id", "operation", "tenant")
            if (value := getattr(record, name, ""))
        ]
        record.context = f"[{' '.join(parts)}] " if parts else ""
        return self._scrub(super().format(record))


class _Installed(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure_logging`` installs, told apart from anyone else's."""


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
    handler = _Installed(stream or sys.stderr)
    secrets = tuple(secrets)
    handler.setFormatter(JsonFormatter(secrets) if log_format == "json" else TextFormatter(secrets))
    handler.addFilter(_RequestFactsFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Installed)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every upstream call with its full URL at INFO; the metrics count them instead.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    return handler
