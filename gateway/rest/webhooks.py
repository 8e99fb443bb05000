"""``POST /webhooks/hubspot``: HubSpot's webhook deliveries, validated by its v3 signature.

HubSpot signs ``method + URI + body + timestamp`` (UTF-8) with HMAC-SHA256 keyed by the app's
client secret (``HUBSPOT_CLIENT_SECRET``) and sends the base64 digest in
``X-HubSpot-Signature-v3``, the timestamp (epoch ms) in ``X-HubSpot-Request-Timestamp``. The URI
is the full URL it delivered to, query included, with a few characters it leaves decoded
(``_DECODED``); behind a proxy it is ``GATEWAY_PUBLIC_URL`` + path. The method is uppercase.

=====  ==========================================================================================
204    accepted: a JSON array of events; meeting events are applied after the answer, each
       ``eventId`` once (``gateway.meetings.webhooks``)
400    signed, but not a JSON array of event objects (or more than ``MAX_EVENTS`` of them)
401    no signature, a wrong one, or a timestamp older than five minutes (or from the future)
404    ``HUBSPOT_CLIENT_SECRET`` is unset: the route does not exist
413    a body past ``GATEWAY_MAX_BODY_BYTES`` (the edge's body reader)
=====  ==========================================================================================

Nothing is invalidated before a delivery passed; digests are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.serving import serving_of
from gateway.settings import Settings

log = logging.getLogger("gateway.webhooks")

PATH = "/webhooks/hubspot"
SIGNATURE_HEADER = "x-hubspot-signature-v3"
TIMESTAMP_HEADER = "x-hubspot-request-timestamp"
MAX_AGE_MS = 5 * 60 * 1000
# HubSpot sends at most 100 events a delivery.
MAX_EVENTS = 1000
# What HubSpot decodes in the URI it signs (its request-validation guide's list).
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


def signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The v3 signature HubSpot sends of a request."""
    source = method.upper().encode() + uri.encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_uri(request: Request, public_url: str | None) -> str:
    """The URL as HubSpot signed it: the public address when the gateway sits behind one."""
    url = request.url
    base = public_url or f"{url.scheme}://{url.netloc}"
    uri = base + url.path + (f"?{url.query}" if url.query else "")
    for encoded, plain in _DECODED.items():
        uri = uri.replace(encoded, plain).replace(encoded.lower(), plain)
    return uri


def _refused(status: int, message: str) -> Response:
    return JSONResponse({"status": "error", "message": message}, status_code=status)


class HubSpotWebhooks:
    def __init__(self, settings: Settings, timer: Callable[[], float] = time.time) -> None:
        self.secret = settings.hubspot_client_secret
        self.public_url = settings.public_url
        self.timer = timer

    async def endpoint(self, request: Request) -> Response:
        if self.secret is None:
            return _refused(404, "not found")
        serving = serving_of(request)
        stats = serving.meeting_events().stats
        body = await request.body()
        problem = self._unsigned(request, body, self.secret)
        if problem is not None:
            stats.webhook("refused")
            log.warning("webhook delivery refused: %s", problem)
            return _refused(401, problem)
        events = _events(body)
        if events is None:
            stats.webhook("malformed")
            return _refused(400, f"expected a JSON array of at most {MAX_EVENTS} event objects")
        stats.webhook("accepted")
        serving.meeting_events().accept(serving.service_for(request.scope), events)
        return Response(status_code=204)

    def _unsigned(self, request: Request, body: bytes, secret: str) -> str | None:
        """Why the delivery is not HubSpot's, or None when it is."""
        given = request.headers.get(SIGNATURE_HEADER)
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not given or not stamp.isdigit():
            return "the delivery carries no v3 signature and timestamp"
        age = self.timer() * 1000 - int(stamp)
        if not -MAX_AGE_MS < age <= MAX_AGE_MS:
            return "the delivery's timestamp is more than five minutes away"
        expected = signature(
            secret, request.method, signed_uri(request, self.public_url), body, stamp
        )
        if not hmac.compare_digest(expected.encode(), given.encode("latin-1")):
            return "the delivery's signature does not match"
        return None


def _events(body: bytes) -> list[dict[str, Any]] | None:
    try:
        found = json.loads(body)
    except ValueError:
        return None
    if not isinstance(found, list) or len(found) > MAX_EVENTS:
        return None
    if not all(isinstance(event, dict) for event in found):
        return None
    return found
