"""The sandbox's webhook deliveries, as HubSpot makes them for an app subscribed to meetings.

With ``SANDBOX_WEBHOOK_URL`` and ``SANDBOX_CLIENT_SECRET`` set, every booking the sandbox makes
is delivered to that URL as a one-event batch (``object.creation`` of the meetings object,
``objectTypeId`` ``0-47``), signed with HubSpot's v3 signature: base64 HMAC-SHA256, keyed by
the client secret, of ``POST`` + URL + body + timestamp (epoch ms, the real clock's, whatever
``SANDBOX_NOW`` says: the receiver checks it against its own). A delivery that gets no 2xx is
retried with a fresh timestamp and signature and the same ``eventId``, backing off as HubSpot
does, for ``ATTEMPTS`` attempts in all (HubSpot's span of a day shrunk to seconds).

``GET /_sandbox/webhooks`` counts what happened: ``{"delivered": 1, "attempts": 2, "failed": 0}``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

ATTEMPTS = 10
FIRST_PAUSE = 0.1
MAX_PAUSE = 5.0
MEETINGS_OBJECT_TYPE = "0-47"
# The sandbox's portal and app, as HubSpot names them in every event.
PORTAL_ID = 62515
APP_ID = 1160452


def v3_signature(secret: str, url: str, body: bytes, timestamp: str) -> str:
    source = b"POST" + url.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


@dataclass
class WebhookCounts:
    delivered: int = 0
    attempts: int = 0
    failed: int = 0

    def wire(self) -> dict[str, int]:
        return {"delivered": self.delivered, "attempts": self.attempts, "failed": self.failed}


@dataclass
class Webhooks:
    url: str | None
    secret: str | None
    counts: WebhookCounts = field(default_factory=WebhookCounts)
    _ids: random.Random = field(default_factory=random.Random)
    _sending: set[asyncio.Task[None]] = field(default_factory=set)

    def meeting_created(self, occurred_ms: int) -> None:
        """Deliver the event in the background: the booking's answer does not wait for it."""
        if self.url is None or self.secret is None:
            return
        event = {
            "eventId": self._ids.getrandbits(40),
            "subscriptionId": 2911051,
            "portalId": PORTAL_ID,
            "appId": APP_ID,
            "occurredAt": occurred_ms,
            "subscriptionType": "object.creation",
            "attemptNumber": 0,
            "objectId": self._ids.getrandbits(36),
            "objectTypeId": MEETINGS_OBJECT_TYPE,
            "changeFlag": "CREATED",
            "changeSource": "MEETINGS",
        }
        task = asyncio.ensure_future(self._deliver(self.url, self.secret, event))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _deliver(self, url: str, secret: str, event: dict[str, Any]) -> None:
        pause = FIRST_PAUSE
        async with httpx.AsyncClient(timeout=5.0) as http:
            for attempt in range(ATTEMPTS):
                body = json.dumps([{**event, "attemptNumber": attempt}]).encode()
                stamp = str(int(time.time() * 1000))
                headers = {
                    "content-type": "application/json",
                    "x-hubspot-signature-v3": v3_signature(secret, url, body, stamp),
                    "x-hubspot-request-timestamp": stamp,
                }
                self.counts.attempts += 1
                try:
                    answer = await http.post(url, content=body, headers=headers)
                    if answer.is_success:
                        self.counts.delivered += 1
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(pause * (1 + self._ids.random() / 4))
                pause = min(pause * 2, MAX_PAUSE)
        self.counts.failed += 1

    async def drain(self) -> None:
        while self._sending:
            await asyncio.wait(list(self._sending))
