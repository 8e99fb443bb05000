"""Per-request context: the service, the request's DataLoaders and its correlation id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from gateway.meetings.service import MeetingsService

if TYPE_CHECKING:
    from gateway.graphql.loaders import Loaders


@dataclass
class Context:
    service: MeetingsService
    loaders: Loaders
    request_id: str
    request: Request | None = None
    response: Response | None = None
    notes: dict[str, str] = field(default_factory=dict)
    # GATEWAY_PRODUCTION: results keep the upstream's own words from the client.
    production: bool = False
