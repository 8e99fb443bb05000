"""Per-request context: the service, the request's loaders, its correlation id and the log
of how fresh its reads were."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from gateway.meetings.service import MeetingsService
from gateway.meetings.watches import Watches

if TYPE_CHECKING:
    from gateway.graphql.loaders import Loaders


@dataclass
class ReadLog:
    """Whether any read one request's answer is built on was stale: resolvers note the ``stale``
    the service returns, and a response built on a stale read is not reused."""

    stale: bool = False
    # A held slot was hidden: the answer must not outlive the hold.
    held: bool = False

    def note(self, stale: bool, held: bool = False) -> None:
        self.stale = self.stale or stale
        self.held = self.held or held


@dataclass
class Context:
    service: MeetingsService
    loaders: Loaders
    request_id: str
    reads: ReadLog = field(default_factory=ReadLog)
    request: Request | None = None
    response: Response | None = None
    notes: dict[str, str] = field(default_factory=dict)
    # GATEWAY_PRODUCTION: results keep the upstream's own words from the client.
    production: bool = False
    # Live availability's streams, and the WebSocket they run on (if they do).
    watches: Watches | None = None
    websocket: WebSocket | None = None
    # Filled by graphql-transport-ws from the client's connection_init payload.
    connection_params: dict[str, object] | None = None
    # The result goes to an encoder that splices pre-serialized values (``orjson.Fragment``);
    # off, every value is plain Python (``gateway.graphql.execution``).
    splice: bool = False
