"""MeetingsService over the sandbox: the reads a range makes, and when."""

from __future__ import annotations

import asyncio
from datetime import datetime

from starlette.types import Receive, Scope, Send

from gateway.clock import FrozenClock
from gateway.graphql.schema import build_schema
from gateway.meetings.availability import AvailabilityWindow
from gateway.metrics import Metrics
from gateway.runtime import running
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.settings import Settings
from tests.support.harness import NOW


class PagesBeforeInfo:
    """The sandbox, answering a booking info only once a month page was asked for (or after
    a second without one): whether the service asks for both at once."""

    def __init__(self) -> None:
        self.sandbox = create_sandbox_app(SandboxConfig(now=datetime.fromisoformat(NOW)))
        self.page_asked = asyncio.Event()
        self.paths: list[str] = []
        self.info_waited_for_a_page: bool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        self.paths.append(path)
        if "/availability-page/" in path:
            self.page_asked.set()
        elif "/book/" in path:
            try:
                await asyncio.wait_for(self.page_asked.wait(), 1)
                self.info_waited_for_a_page = True
            except TimeoutError:
                self.info_waited_for_a_page = False
        await self.sandbox(scope, receive, send)


async def month_of(slug: str, upstream: PagesBeforeInfo) -> AvailabilityWindow | None:
    """The service's availability of ``slug`` for March 2026 in New York, read through
    ``upstream``."""
    settings = Settings.from_environ({"SANDBOX_NOW": NOW})
    parts = running(
        settings,
        clock=FrozenClock(settings.sandbox_now),  # type: ignore[arg-type]
        schema=build_schema(settings=settings),
        sandbox=upstream,
        metrics=Metrics(),
        tracing=None,
        operations={},
    )
    async with parts as runtime:
        return await runtime.service.availability(
            slug,
            start=datetime.fromisoformat("2026-03-02T00:00:00-05:00"),
            end=datetime.fromisoformat("2026-04-01T00:00:00-04:00"),
            duration_minutes=None,
            first=None,
        )


async def test_a_range_with_an_end_reads_its_pages_beside_the_booking_info() -> None:
    upstream = PagesBeforeInfo()
    window = await month_of("mel-nelson", upstream)
    assert window is not None
    assert window.runs
    assert upstream.info_waited_for_a_page is True
    # The same reads as one after the other: the list, the booking info, two month pages.
    assert sorted(path.split("/")[-2] for path in upstream.paths) == [
        "availability-page",
        "availability-page",
        "book",
        "meetings",
    ]


async def test_an_unknown_link_reads_no_page() -> None:
    upstream = PagesBeforeInfo()
    assert await month_of("no-such-link", upstream) is None
    assert not any("/availability-page/" in path for path in upstream.paths)
