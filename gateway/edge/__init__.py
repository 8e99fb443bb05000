"""The HTTP edge: what every request meets before the app, and what it leaves for the app.

    Middleware(Access, settings=settings)                     # gateway.access: who may call
    Middleware(BodyReader, maximum=65536, max_tokens=2000)    # one bounded read, one parse

``BodyReader`` runs after access control, so a refused request costs nothing but its headers.
It reads a POST body once, bounded by ``GATEWAY_MAX_BODY_BYTES``, and for ``/graphql`` parses
it once: the JSON object and its document (with ``GATEWAY_MAX_TOKENS``), or the typed reason
it cannot be run, kept in the request's scope (``graphql_request_of``) for everything inside
and, after the request, for the logs and metrics outside. The edge is a leaf: it imports
nothing else of the gateway, so every layer may read what it parsed.
"""

from gateway.edge.body import BodyReader, graphql_request_of, keep_graphql_request
from gateway.edge.refusal import GRAPHQL_PATH, BadRequest, refusal_body, refuse
from gateway.edge.request import (
    ANONYMOUS,
    UNKNOWN,
    UNREADABLE,
    GraphQLOperation,
    GraphQLRequest,
    read_graphql_request,
)

__all__ = [
    "ANONYMOUS",
    "GRAPHQL_PATH",
    "UNKNOWN",
    "UNREADABLE",
    "BadRequest",
    "BodyReader",
    "GraphQLOperation",
    "GraphQLRequest",
    "graphql_request_of",
    "keep_graphql_request",
    "read_graphql_request",
    "refusal_body",
    "refuse",
]
