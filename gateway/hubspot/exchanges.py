"""A log line per upstream exchange, naming the endpoint and the HubSpot API version it used.

Installed on the one upstream httpx client as a response hook. Answers HubSpot gives when it
is in trouble (429, 5xx) are warnings; every other answer is a debug line, since the metrics
already count them all. Exchanges that got no answer at all are the client's to count.
"""

from __future__ import annotations

import logging

import httpx

from gateway.hubspot.paths import upstream_operation

log = logging.getLogger("gateway.hubspot")


def instrument(http: httpx.AsyncClient) -> None:
    http.event_hooks["response"].append(_answered)


async def _answered(response: httpx.Response) -> None:
    status = response.status_code
    level = logging.WARNING if status == 429 or status >= 500 else logging.DEBUG
    if not log.isEnabledFor(level):
        return
    request = response.request
    endpoint, version = upstream_operation(request.method, request.url.path)
    # The path is not logged: it carries slugs, which name people.
    log.log(
        level,
        "HubSpot %s (API %s) answered %d",
        endpoint,
        version,
        status,
        extra={"endpoint": endpoint, "api_version": version, "status": status},
    )
