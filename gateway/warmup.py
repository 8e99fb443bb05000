"""Warm-up at start: what a fresh process would otherwise do on its first requests.

A process's first query paid for the time zone list (tzdata's directory walk, about 18 ms),
the parse and validation of its document, graphql-core's and strawberry's first runs through
their code, and the upstream connection (a TLS handshake to HubSpot). The lifespan runs this
before the server accepts a connection, so the readiness probe turns ready only after it:

- the IANA zone list, and the zones of the shipped operations' examples' most asked zone (UTC);
- every shipped operation parsed and validated into the schema's caches, the request limits
  included, then stopped at its variables (each is sent a value no type accepts), so nothing
  executes and no upstream call is made: as its file has it, and as the booking page sends it
  (its code generator's layout);
- one execution of ``{ __typename }`` through the whole execution path;
- with Redis: the invalidation subscription, ``REDIS_CONNECTIONS`` pooled connections (a
  first query's concurrent reads would otherwise each connect while they wait) and every Lua
  script the gateway runs (a fresh Redis answers a script's first EVALSHA with NOSCRIPT);
- the upstream's connection pool, by the read the readiness probe makes anyway (the first
  page of links); an upstream that fails then is the probe's to report, not the start's.

Then the collector is settled (``gateway.garbage``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from graphql import OperationDefinitionNode, parse
from strawberry import Schema

from gateway.cache import StoreUnavailable, ping
from gateway.cache.holds import SCRIPTS as HOLD_SCRIPTS
from gateway.cache.idempotency import SCRIPTS as IDEMPOTENCY_SCRIPTS
from gateway.cache.redis_store import SCRIPTS as CACHE_SCRIPTS
from gateway.errors import GatewayError
from gateway.graphql.context import Context, ReadLog
from gateway.graphql.loaders import Loaders
from gateway.hubspot.budget import SCRIPTS as BUDGET_SCRIPTS
from gateway.meetings.service import MeetingsService
from gateway.meetings.zones import iana_names, zone
from gateway.runtime import Runtime

log = logging.getLogger("gateway.warmup")

# No GraphQL input type accepts an object with this field: coercion stops every operation.
UNACCEPTABLE = {"_warm_up_": True}

# What one month query holds at once: its month pages' reads (two, or three for a range over
# a month's end) beside the budget's and the holds' calls.
REDIS_CONNECTIONS = 4
REDIS_SCRIPTS = (*CACHE_SCRIPTS, *HOLD_SCRIPTS, *IDEMPOTENCY_SCRIPTS, *BUDGET_SCRIPTS)


def context(service: MeetingsService) -> Context:
    reads = ReadLog()
    return Context(service=service, loaders=Loaders(service, reads), request_id="warm-up")


def stopped_variables(document: str) -> dict[str, object] | None:
    """A value no type accepts for every variable of the document's one operation (None when
    it has none or several: then it would run, or not be warmed as clients send it)."""
    operations = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or not operations[0].variable_definitions:
        return None
    return {d.variable.name.value: UNACCEPTABLE for d in operations[0].variable_definitions}


async def warm_schema(schema: Schema, service: MeetingsService, documents: Iterable[str]) -> int:
    """Parse and validate ``documents`` into the caches requests use; how many were warmed."""
    warmed = 0
    for document in documents:
        variables = stopped_variables(document)
        if variables is None:
            continue
        await schema.execute(document, variables, context_value=context(service))
        warmed += 1
    await schema.execute("{ __typename }", context_value=context(service))
    return warmed


async def warm_up(runtime: Runtime, schema: Schema, documents: Iterable[str]) -> None:
    iana_names()
    zone("UTC")
    warmed = await warm_schema(schema, runtime.own.service, documents)
    if runtime.redis is not None:
        await ping(runtime.redis)
        await runtime.cache.start()
        try:
            await runtime.redis.warm(REDIS_CONNECTIONS, REDIS_SCRIPTS)
        except StoreUnavailable as exc:
            log.warning("Redis did not answer the warm-up: %s", exc)
    try:
        await runtime.own.service.link_index()
    except GatewayError as exc:
        log.warning("the upstream did not answer the warm-up read: %s", exc.code)
    await runtime.cache.drain()  # its value kept (written after the answer) before serving
    log.info("warmed up: %d operations validated", warmed)
