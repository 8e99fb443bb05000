"""``/mcp``: the tools over the protocol's streamable HTTP transport, stateless (any replica
answers any call) with JSON answers.

    endpoint = McpEndpoint(settings, observer=metrics)
    Route("/mcp", endpoint)                      # behind the edge, as /graphql is
    async with endpoint.running(): ...           # in the app's lifespan

Every call is the edge's like any other request: access control (API keys, pass-through
tokens) has let it in, and the caller's tenant's service answers it (``serving_of``). A
tool's arguments are checked against its schema before anything is read: a call that breaks
it gets the protocol's invalid-params error naming the argument. Everything the service
answers, refusals included, is a typed result (``results``). Each call is counted by tool and
outcome and logged with those alone (never its arguments).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from gateway.edge.request_id import request_id_of
from gateway.errors import InputError
from gateway.mcp import results as out
from gateway.mcp.arguments import Arguments, argument_name
from gateway.mcp.tools import TOOLS, Tool
from gateway.serving import serving_of
from gateway.settings import Settings

log = logging.getLogger("gateway.mcp")

INSTRUCTIONS = (
    "Book meetings on HubSpot meeting links: list_meeting_links, get_booking_form, find_slots "
    "or earliest_slot, then hold_slot while the booker's details are gathered, and book_meeting "
    "with the hold's id and an idempotency_key of your own (reuse it when retrying)."
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class ToolObserver(Protocol):
    def observe_tool_call(self, tool: str, outcome: str, seconds: float) -> None:
        """One answered call: its tool ("unknown" for none) and outcome."""


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """The ``Host`` and ``Origin`` a call may carry (DNS rebinding protection): loopback, the
    address ``serve`` binds, and ``GATEWAY_PUBLIC_URL``; origins also from the CORS list."""
    hosts = [*(f"{host}:*" for host in LOOPBACK_HOSTS), *LOOPBACK_HOSTS]
    origins = [f"http://{host}:*" for host in LOOPBACK_HOSTS]
    if settings.host not in ("0.0.0.0", "::", *LOOPBACK_HOSTS):
        hosts.append(f"{settings.host}:{settings.port}")
    if settings.public_url is not None:
        public = urlsplit(settings.public_url)
        hosts.append(public.netloc)
        origins.append(f"{public.scheme}://{public.netloc}")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts,
        allowed_origins=[*origins, *settings.cors_origins],
    )


def invalid_params(problems: list[tuple[str, str]]) -> MCPError:
    """The protocol's invalid-params error, naming each argument refused and why."""
    told = "; ".join(f"{argument}: {problem}" for argument, problem in problems)
    return MCPError(
        code=types.INVALID_PARAMS,
        message=f"invalid arguments: {told}",
        data={"arguments": [{"argument": a, "problem": p} for a, p in problems]},
    )


def parse(tool: Tool[Any], raw: dict[str, Any]) -> Arguments:
    """The arguments as the tool's model, exactly as its schema says (no coercion)."""
    try:
        parsed: Arguments = tool.arguments.model_validate_json(json.dumps(raw), strict=True)
    except ValidationError as exc:
        problems = [
            (".".join(str(part) for part in error["loc"]) or "arguments", error["msg"])
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise invalid_params(problems) from None
    return parsed


class McpEndpoint:
    """Pure ASGI app: see the module docstring."""

    def __init__(self, settings: Settings, observer: ToolObserver) -> None:
        self.production = settings.production
        self.observer = observer
        self.server: Server[Any] = Server(
            "meetings-gateway",
            instructions=INSTRUCTIONS,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
        )
        self.security = transport_security(settings)
        self.max_body_bytes = settings.max_body_bytes
        self.tools = [_listed(tool) for tool in TOOLS.values()]
        self.sessions: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        # A session manager runs once: each run of the app's lifespan gets its own.
        sessions = StreamableHTTPSessionManager(
            app=self.server,
            json_response=True,
            stateless=True,
            security_settings=self.security,
            max_request_body_size=self.max_body_bytes,
        )
        async with sessions.run():
            self.sessions = sessions
            try:
                yield
            finally:
                self.sessions = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.sessions is None:
            raise RuntimeError(
                "the app's lifespan has not run: serve it with a lifespan-aware server"
            )
        # The SDK spawns the tasks that answer a request from the request's own task, so the
        # request's deadline and log facts hold in them too (a test checks it).
        await self.sessions.handle_request(scope, receive, send)

    async def _list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools)

    async def _call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        request = ctx.request
        if not isinstance(request, Request):
            raise MCPError(types.INVALID_REQUEST, "tools are served over HTTP only")
        return await self._answer(request, params.name, params.arguments or {})

    async def _answer(
        self, request: Request, name: str, raw: dict[str, Any]
    ) -> types.CallToolResult:
        started = time.perf_counter()
        outcome = "InvalidParams"
        tool = TOOLS.get(name)
        try:
            if tool is None:
                raise invalid_params([("name", "no tool has this name")])
            arguments = parse(tool, raw)
            service = serving_of(request).service_for(request.scope)
            result = await tool.run(service, arguments, self.production)
            outcome = type(result).model_fields["outcome"].default
            return _result(result)
        except InputError as exc:
            raise invalid_params([(argument_name(exc.field), exc.message)]) from None
        except MCPError:
            raise
        except Exception:
            outcome = "Error"
            correlation = request_id_of(request.scope["headers"])
            log.exception("tool %s failed; correlation id %s", name, correlation)
            raise MCPError(
                types.INTERNAL_ERROR, f"internal error; correlation id {correlation}"
            ) from None
        finally:
            label = tool.name if tool is not None else "unknown"
            seconds = time.perf_counter() - started
            self.observer.observe_tool_call(label, outcome, seconds)
            log.info(
                "tool %s: %s",
                label,
                outcome,
                extra={"tool": label, "outcome": outcome, "duration_ms": round(seconds * 1000, 2)},
            )


def _listed(tool: Tool[Any]) -> types.Tool:
    return types.Tool(
        name=tool.name,
        description=tool.description,
        input_schema=tool.input_schema,
        output_schema=tool.output_schema,
        annotations=types.ToolAnnotations(
            read_only_hint=tool.read_only,
            destructive_hint=False,
            idempotent_hint=tool.idempotent,
            open_world_hint=False,
        ),
    )


def _result(result: out.Result) -> types.CallToolResult:
    content = out.structured(result)
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(content))],
        structured_content=content,
        is_error=result.refused,
    )
