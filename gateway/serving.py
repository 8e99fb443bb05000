"""How an endpoint finds what serves its request: the runtime the lifespan built, in Starlette's
lifespan state (``request.state``), which the server copies into every request's scope.

    service = serving_of(request).service_for(request.scope)    # REST and GraphQL alike

The runtime (``gateway.runtime.Runtime``) is the one ``Serving``; this module names only what
the surfaces below the composition root need of it, so that they import nothing above them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from starlette.requests import HTTPConnection
from starlette.types import Scope

from gateway.meetings.service import MeetingsService
from gateway.meetings.webhooks import MeetingEvents

STATE_KEY = "serving"


class Serving(ABC):
    @abstractmethod
    def service_for(self, scope: Scope) -> MeetingsService:
        """The service answering this request: its caller's tenant's in pass-through mode."""

    @abstractmethod
    def meeting_events(self) -> MeetingEvents:
        """Where HubSpot's webhook events go (``/webhooks/hubspot``)."""


def serving_of(connection: HTTPConnection) -> Serving:
    found = connection.scope.get("state", {}).get(STATE_KEY)
    if not isinstance(found, Serving):
        # A server that runs no lifespan (or drops its state) cannot serve this app.
        raise RuntimeError("the app's lifespan has not run: serve it with a lifespan-aware server")
    return found
