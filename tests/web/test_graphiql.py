"""GraphiQL and the REST docs in a real Chromium: they render from the gateway's own bundle and
run against it, and no request of theirs leaves loopback (the CSP would refuse one anyway)."""

from __future__ import annotations

import json
import re

import httpx
from playwright.async_api import expect

from tests.support.bookings import booking
from tests.support.browser import chromium, visiting
from tests.support.harness import operation
from tests.support.loopback import on_loopback, until

ENVIRON = {"SANDBOX_NOW": "2026-03-02T14:00:00Z"}
AVAILABILITY = operation("MeetingLinkAvailability")
BOOK = operation("BookMeeting")


async def test_graphiql_renders_and_runs_list_meeting_links_on_loopback_alone() -> None:
    async with (
        on_loopback(ENVIRON) as live,
        chromium() as browser,
        visiting(browser, "graphiql") as visit,
    ):
        page = visit.page
        await page.goto(f"{live.url}/graphql")
        editor = page.locator(".graphiql-query-editor .CodeMirror")
        await expect(editor).to_contain_text("query ListMeetingLinks")
        await expect(page.locator(".graphiql-editor-tool .CodeMirror").first).to_contain_text(
            '"first": 10'
        )
        await expect(
            page.get_by_role("tab", name=re.compile("MeetingLinkAvailability"))
        ).to_be_visible()
        async with page.expect_response(
            lambda r: (
                r.request.method == "POST"
                and r.url.endswith("/graphql")
                and "ListMeetingLinks" in (r.request.post_data or "")
            )
        ) as ran:
            await page.locator(".graphiql-execute-button").click()
        answer = await (await ran.value).json()
        assert answer["data"]["meetingLinks"]["totalCount"] > 0
        await expect(page.locator(".graphiql-response")).to_contain_text('"totalCount"')
        await page.screenshot(path=visit.shots / "01-graphiql.png")
        visit.assert_only_loopback()


async def test_the_docs_render_the_document_on_loopback_alone() -> None:
    async with (
        on_loopback(ENVIRON) as live,
        chromium() as browser,
        visiting(browser, "docs") as visit,
    ):
        page = visit.page
        await page.goto(f"{live.url}/docs")
        await expect(page.locator(".swagger-ui .title")).to_contain_text("meetings-gateway")
        await expect(page.locator(".opblock").first).to_be_visible()
        await page.screenshot(path=visit.shots / "01-docs.png")
        visit.assert_only_loopback()


async def test_graphiql_subscribes_to_availability_changed_over_its_websocket() -> None:
    async with (
        on_loopback(ENVIRON) as live,
        chromium() as browser,
        visiting(browser, "graphiql-subscription") as visit,
    ):
        page = visit.page
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        # GraphiQL settles its first tab once it has read the schema: tabs are switched after.
        async with page.expect_response(
            lambda r: "IntrospectionQuery" in (r.request.post_data or "")
        ):
            await page.goto(f"{live.url}/graphql")
        editor = page.locator(".graphiql-query-editor .CodeMirror")
        await expect(editor).to_contain_text("query ListMeetingLinks")
        tab = page.locator(".graphiql-tab", has_text="AvailabilityChanged")
        await tab.locator(".graphiql-tab-button").click()
        await expect(tab).to_have_class(re.compile("graphiql-tab-active"))
        await expect(editor).to_contain_text("subscription AvailabilityChanged")
        await page.locator(".graphiql-execute-button").click()
        await until(lambda: live.runtime.watches.stats.opened >= 1)
        variables = json.loads(
            await page.locator(".graphiql-editor-tool .CodeMirror").first.evaluate(
                "(e) => e.CodeMirror.getValue()"
            )
        )
        async with httpx.AsyncClient(base_url=live.url) as http:
            slots = await http.post(
                "/graphql",
                json={"query": AVAILABILITY, "variables": {**variables, "durationMinutes": 30}},
            )
            start = slots.json()["data"]["meetingLink"]["availability"]["slots"][0]["start"]
            booked = await http.post(
                "/graphql",
                json={"query": BOOK, "variables": booking(variables["slug"], start, 30)},
            )
        assert booked.json()["data"]["bookMeeting"]["__typename"] == "BookingConfirmed"
        await expect(page.locator(".graphiql-response")).to_contain_text('"BOOKED"')
        assert sockets == [live.url.replace("http://", "ws://") + "/graphql"]
        await page.screenshot(path=visit.shots / "01-subscription.png")
        visit.assert_only_loopback()
