"""The HTTP edge: what every request meets before the app, and what it leaves for the app.

One layer, ``Gate`` (gate.py, the only middleware ``gateway.app`` installs), runs the steps
in this order; each step's rules live in its own module::

    request ─► request_facts     logs.py      request id (request_id.py), log facts
               span              spans.py     the SERVER span (only with tracing on)
               preflight         cors.py      a browser's preflight; CORS headers on the rest
               Access.admit      access.py    API keys, pass-through tokens: who may call
               BodyReader.read   body.py      one bounded read of the body, one GraphQL parse
               Deadline.run      deadline.py  the request's deadline and its 504 backstop
               the routes        /graphql, /scheduler/..., /healthz, /readyz, /metrics
    answer ◄── through one ``ResponseStatus`` (status.py): the count and time reported
               (metrics.py's observer) and the access line written (logs.py)

Every answer the edge gives itself (413, 401, 429, 504) goes through one renderer,
``refusal.refuse``: GraphQL's error shape on ``/graphql``, HubSpot's error body on REST paths.

The body is read after access control, so a refused request costs nothing but its headers.
It reads a POST body once, bounded by ``GATEWAY_MAX_BODY_BYTES``, and for ``/graphql`` parses
it once: the JSON object and its document (with ``GATEWAY_MAX_TOKENS``), or the typed reason
it cannot be run, kept in the request's scope (``body.graphql_request_of``) for everything
inside and, after the request, for the logs and metrics outside.

Two kinds of module live here. ``request``, ``body``, ``refusal``, ``status``, ``conditional``
and ``request_id`` are leaves (they import nothing else of the gateway), so every layer may read
what the edge parsed. The gate and its steps wrap the app from outside and import only settings,
errors, the deadline variable (``gateway.deadline``) and the tenant rule
(``gateway.cache.keys.tenant_id``); what they report to (``gateway.metrics``,
``gateway.tracing``) is handed to them. This package's own module imports nothing, so that
reading a leaf never loads a middleware.
"""
