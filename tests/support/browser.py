"""A real Chromium (Debian's, driven by Playwright) on pages the gateway serves on loopback.

    async with chromium() as browser, visiting(browser, base, shots) as visit:
        await visit.page.goto(f"{base}/book/mel-nelson")
        await visit.step("calendar")      # axe-core finds nothing; a screenshot is saved
    visit.assert_only_loopback()          # every request the page made stayed on 127.0.0.1

axe-core is the npm package the page's build installs (``gateway/web/node_modules``), run in
the page through the DevTools protocol, so the page's own CSP stays as served. Screenshots go
to ``tests/web/screenshots/<test>/`` (git-ignored), the run's artifacts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    ViewportSize,
    async_playwright,
)
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "gateway" / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "web" / "screenshots"
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=375, height=740)

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target) }));
}"""


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    # Debian's chromium, never a browser Playwright would download.
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Visit:
    page: Page
    shots: Path
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    async def axe(self) -> list[dict[str, Any]]:
        if not await self.page.evaluate("typeof axe !== 'undefined'"):
            await self.page.evaluate(AXE.read_text())
        violations: list[dict[str, Any]] = await self.page.evaluate(RUN_AXE)
        return violations

    async def step(self, name: str) -> None:
        """A step of the flow: saved as a screenshot, and axe-core finds no violation on it."""
        self.steps.append(name)
        await self.page.screenshot(
            path=self.shots / f"{len(self.steps):02d}-{name}.png", full_page=True
        )
        assert await self.axe() == [], name

    def assert_only_loopback(self) -> None:
        assert self.requests, "the page made no request"
        away = [url for url in self.requests if urlsplit(url).hostname != "127.0.0.1"]
        assert away == [], away
        assert self.errors == [], self.errors


@asynccontextmanager
async def visiting(
    browser: Browser, shots: str, *, viewport: ViewportSize = DESKTOP, zone: str = "UTC"
) -> AsyncIterator[Visit]:
    assert AXE.exists(), "axe-core is installed by `npm ci` in gateway/web (scripts/test runs it)"
    folder = SCREENSHOTS / shots
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    context = await browser.new_context(viewport=viewport, timezone_id=zone, locale="en-US")
    try:
        page = await context.new_page()
        visit = Visit(page, folder)
        page.on("request", visit._request)
        page.on("console", visit._console)
        yield visit
    finally:
        await context.close()


async def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than its viewport (0 when nothing scrolls sideways)."""
    overflow: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


@asynccontextmanager
async def host_page(html: str) -> AsyncIterator[str]:
    """A page of another origin (its own loopback port) that embeds the gateway's; its URL."""

    async def page(request: HttpRequest) -> Response:
        return HTMLResponse(html)

    port = free_port()
    app = Starlette(routes=[Route("/", page)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task
