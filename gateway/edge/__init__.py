"""The HTTP edge: what every request meets before the app, and what it leaves for the app.

The middlewares, outermost first (``gateway.app`` installs them in this order)::

    request ─► RequestContext    logs.py      request id (request_id.py), access line, log facts
               RequestSpans      spans.py     the SERVER span (only with tracing on)
               RequestMetrics    metrics.py   count and time, by route template and operation
               CORSMiddleware    (Starlette)  so a browser can read every answer below
               Access            access.py    API keys, pass-through tokens: who may call
               BodyReader        body.py      one bounded read of the body, one GraphQL parse
               DeadlineMiddleware deadline.py  the request's deadline and its 504 backstop
               the routes        /graphql, /scheduler/..., /healthz, /readyz, /metrics
    answer ◄── the same way back: each reporter reads the status line through one
               ``ResponseStatus`` (status.py) on its ``send``

Every answer the edge gives itself (413, 401, 429, 504) goes through one renderer,
``refusal.refuse``: GraphQL's error shape on ``/graphql``, HubSpot's error body on REST paths.

``BodyReader`` runs after access control, so a refused request costs nothing but its headers.
It reads a POST body once, bounded by ``GATEWAY_MAX_BODY_BYTES``, and for ``/graphql`` parses
it once: the JSON object and its document (with ``GATEWAY_MAX_TOKENS``), or the typed reason
it cannot be run, kept in the request's scope (``body.graphql_request_of``) for everything
inside and, after the request, for the logs and metrics outside.

Two kinds of module live here. ``request``, ``body``, ``refusal``, ``status``, ``conditional``
and ``request_id`` are leaves (they import nothing else of the gateway), so every layer may read
what the edge parsed. The middlewares wrap the app from outside and import only settings,
errors, the deadline variable (``gateway.deadline``) and the tenant rule
(``gateway.cache.keys.tenant_id``); what they report to (``gateway.metrics``,
``gateway.tracing``) is handed to them. This package's own module imports nothing, so that
reading a leaf never loads a middleware.
"""
