"""MeetingsService over the sandbox: the reads a range makes, and when."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

from starlette.types import Receive, Scope, Send

from gateway.clock import FrozenClock
from gateway.graphql.schema import build_schema
from gateway.meetings.availability import AvailabilityWindow
from gateway.metrics import Metrics
from gateway.runtime import running
from gateway.sandbox import SandboxConfig, create_sandbox_app
from gateway.sandbox.fixtures import DEFAULT_PATH
from gateway.settings import Settings
from tests.support.harness import NOW, running_gateway

LINKS_PATH = "/scheduler/2026-09/meetings/meeting-links"


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
    # The same reads as one after the other: the list, the booking info (which embeds the
    # first month's page), the second month's page.
    assert sorted(path.split("/")[-2] for path in upstream.paths) == [
        "availability-page",
        "book",
        "meetings",
    ]


async def test_an_unknown_link_reads_no_page() -> None:
    upstream = PagesBeforeInfo()
    assert await month_of("no-such-link", upstream) is None
    assert not any("/availability-page/" in path for path in upstream.paths)


async def test_a_link_is_looked_up_reading_the_list_only_until_its_page(tmp_path: Path) -> None:
    portal = json.loads(DEFAULT_PATH.read_text())
    portal["generated"]["count"] = 250  # 259 links: three pages of the upstream's 100
    fixtures = tmp_path / "portal.json"
    fixtures.write_text(json.dumps(portal))
    async with running_gateway({"SANDBOX_FIXTURES": str(fixtures)}) as gateway:
        pages = []
        after: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": 100, **({"after": after} if after else {})}
            page = (await gateway.sandbox.get(LINKS_PATH, params=params)).json()
            pages.append(page["results"])
            after = page.get("paging", {}).get("next", {}).get("after")
            if after is None:
                break
        assert [len(page) for page in pages] == [100, 100, 59]
        before = (await gateway.calls()).get("list_links", 0)
        service = gateway.runtime.service

        first = await service.link(pages[0][0]["slug"])
        assert first is not None
        assert first.id == pages[0][0]["id"]
        assert (await gateway.calls())["list_links"] - before == 1

        last = await service.link_by_id(pages[2][-1]["id"])
        assert last is not None
        assert last.slug == pages[2][-1]["slug"]
        assert (await gateway.calls())["list_links"] - before == 3

        # Every page is cached now: an unknown slug reads them all again, from memory.
        assert await service.link("no-such-link") is None
        assert (await gateway.calls())["list_links"] - before == 3


async def test_the_first_month_is_the_page_the_booking_info_embeds() -> None:
    async with running_gateway() as gateway:
        service = gateway.runtime.service
        for zone in ("UTC", "America/New_York"):
            direct = await gateway.sandbox.get(
                f"{LINKS_PATH}/book/availability-page/mel-nelson",
                params={"timezone": zone, "monthOffset": "0"},
            )
            before = await gateway.calls()
            page = await service.availability_page("mel-nelson", 0, zone=zone)
            info = await service.booking_info("mel-nelson", zone)
            after = await gateway.calls()
            assert page.value.wire == direct.json()
            assert info is not None
            assert page.value.availability is info.info.availability
            # One read for both, and no availability page read at all.
            assert after["booking_info"] - before["booking_info"] == 1
            assert after["availability"] == before["availability"]
