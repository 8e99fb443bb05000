"""The MCP server: agents find slots on HubSpot meeting links, hold them and book them, through
the same ``MeetingsService`` (and so the same checks, holds, idempotency, rate budget and
tenant isolation) as the graph.

    server.py      ``McpEndpoint``: the ``/mcp`` ASGI app, its session manager, each call's
                   schema check, metrics and log line
    tools.py       the tools, each a thin call into the service
    arguments.py   each tool's arguments (its input schema)
    results.py     each outcome a tool answers (its output schema)
"""
