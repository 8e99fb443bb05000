"""The booking page in a real Chromium, against the gateway on loopback and a standalone
sandbox: the whole flow to one booking (the sandbox's own count proves it), keyboard only on
a phone's width, embedded in a host page, and live changes while the visitor looks.

Every step is checked by axe-core and saved as a screenshot (``tests/web/screenshots/``).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from gateway.sandbox.fixtures import DEFAULT_PATH
from tests.support.bookings import booking
from tests.support.browser import (
    PHONE,
    Visit,
    chromium,
    horizontal_overflow,
    host_page,
    visiting,
)
from tests.support.harness import NOW, operation
from tests.support.loopback import Live, on_loopback, until
from tests.support.replicas import served_sandbox

BOOK = operation("BookMeeting")
RELEASE = operation("ReleaseHold")
AVAILABILITY = operation("MeetingLinkAvailability")


@pytest.fixture
def sandbox() -> Iterator[str]:
    with served_sandbox() as base:
        yield base


# Every kind of question HubSpot's forms ask, on a link that takes guests.
QUESTIONS = [
    {"name": "team", "label": "Team", "type": "enumeration", "fieldType": "radio",
     "isRequired": True, "isCustom": True,
     "options": [{"label": "Sales", "value": "sales"}, {"label": "Support", "value": "support"}]},
    {"name": "topics", "label": "Topics", "type": "enumeration", "fieldType": "checkbox",
     "isRequired": False, "isCustom": True,
     "options": [{"label": "Pricing", "value": "pricing"},
                 {"label": "Onboarding", "value": "onboarding"},
                 {"label": "Security", "value": "security"}]},
    {"name": "newsletter", "label": "Send me the newsletter", "type": "bool",
     "fieldType": "booleancheckbox", "isRequired": False, "isCustom": True},
    {"name": "seats", "label": "Seats", "type": "number", "fieldType": "number",
     "isRequired": False, "isCustom": True},
    {"name": "start_date", "label": "Start date", "type": "date", "fieldType": "date",
     "isRequired": False, "isCustom": True},
    {"name": "phone", "label": "Phone number", "type": "string", "fieldType": "phonenumber",
     "isRequired": False, "isCustom": False},
    {"name": "company", "label": "Company", "type": "string", "fieldType": "text",
     "isRequired": True, "isCustom": False},
    {"name": "notes", "label": "Notes", "type": "string", "fieldType": "textarea",
     "isRequired": False, "isCustom": True},
]  # fmt: skip


@pytest.fixture
def questioning_sandbox(tmp_path: Path) -> Iterator[str]:
    portal = json.loads(DEFAULT_PATH.read_text())
    (link,) = [link for link in portal["links"] if link["slug"] == "priya-raman"]
    link["formFields"] = QUESTIONS
    fixtures = tmp_path / "portal.json"
    fixtures.write_text(json.dumps(portal))
    with served_sandbox({"SANDBOX_FIXTURES": str(fixtures)}) as base:
        yield base


@asynccontextmanager
async def gateway_on(sandbox: str) -> AsyncIterator[Live]:
    environ = {
        "SANDBOX_NOW": NOW,
        "HUBSPOT_BASE_URL": sandbox,
        "HUBSPOT_ACCESS_TOKEN": "pat-na1-00000000-test",
    }
    async with on_loopback(environ) as live:
        yield live


@asynccontextmanager
async def browser_and_gateway(sandbox: str) -> AsyncIterator[tuple[Browser, Live]]:
    async with gateway_on(sandbox) as live, chromium() as browser:
        yield browser, live


def bookings_made(sandbox: str) -> int:
    calls: dict[str, int] = httpx.get(f"{sandbox}/_sandbox/calls").json()
    return calls.get("book", 0)


async def graphql(live: Live, document: str, variables: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = (
            await http.post("/graphql", json={"query": document, "variables": variables})
        ).json()
    assert "errors" not in answer, answer
    return answer["data"]


async def choose_first_day(page: Page) -> None:
    await page.locator("button.day.offered").first.click()
    await expect(page.locator("button.slot").first).to_be_focused()


async def test_the_whole_flow_books_one_meeting(sandbox: str) -> None:
    async with (
        browser_and_gateway(sandbox) as (browser, live),
        visiting(browser, "whole-flow", zone="Asia/Tokyo") as visit,
    ):
        page = visit.page
        await page.goto(
            f"{live.url}/book/lena-fischer/consent-call?organizerTimeZone=Europe/Berlin"
        )
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "GDPR-ready intro call with Lena"
        )
        await expect(page.get_by_text("with Lena Fischer")).to_be_visible()
        # The visitor's zone, detected.
        await expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
        first_day = page.locator("button.day.offered").first
        await expect(first_day).to_have_attribute(
            "aria-label", re.compile(r"^\w+day, March \d+, 2026: \d+ times? available$")
        )
        assert await page.locator("button.day:disabled").count() > 0
        await visit.step("calendar")

        await choose_first_day(page)
        slot = page.locator("button.slot").first
        chosen = await slot.inner_text()
        await visit.step("slots")

        await slot.click()
        await expect(page.get_by_role("timer")).to_have_text(
            re.compile(r"held for you for [45]:\d\d")
        )
        # Back releases the hold: the time is offered again.
        await page.get_by_role("button", name="Back to times").click()
        # Focus is back on the time the visitor left, offered again.
        await expect(page.locator("button.slot").filter(has_text=chosen)).to_be_focused()
        assert await page.locator("button.slot").first.inner_text() == chosen

        await page.locator("button.slot").first.click()
        await page.get_by_label("First name").fill("Ada")
        await page.get_by_label("Last name").fill("Lovelace")
        await page.get_by_label("Email").fill("ada@")
        await page.get_by_label(re.compile("store and process my personal data")).check()
        await visit.step("form")

        await page.get_by_role("button", name="Book this time").click()
        # The gateway's per-field errors, each beside its field: the address first...
        await expect(page.locator("#field-email-error")).to_have_text(
            "email is not a valid address"
        )
        await expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
        await visit.step("errors")
        # ...then the link's own rules (a required consent).
        await page.get_by_label("Email").fill("ada@acme-corp.io")
        await page.get_by_role("button", name="Book this time").click()
        await expect(page.locator("#consent-987654-error")).to_have_text(
            re.compile("consent is required")
        )
        await expect(page.locator("#field-email-error")).to_have_count(0)
        assert bookings_made(sandbox) == 0
        await visit.step("consent-error")

        await page.get_by_label(re.compile("receive communications about this meeting")).check()
        await page.get_by_role("button", name="Book this time").click()
        confirmed = page.get_by_role("heading", name="You are booked")
        await expect(confirmed).to_be_focused()
        details = page.locator(".confirmation dl")
        await expect(details).to_contain_text("Your time (Asia/Tokyo)")
        await expect(details).to_contain_text("Organizer's time (Europe/Berlin)")
        await expect(details).to_contain_text(re.compile(r"\d:\d\d [AP]M GMT\+9(?!\d)"))
        await expect(details).to_contain_text(re.compile(r"\d:\d\d [AP]M GMT\+1(?!\d)"))
        await expect(details.get_by_role("link")).to_have_attribute(
            "href", re.compile(r"^https://teams\.microsoft\.com/")
        )
        await visit.step("confirmation")
        visit.assert_only_loopback()
    assert bookings_made(sandbox) == 1


async def tab_to(page: Page, selector: str, most: int = 80) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        if await page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def test_keyboard_alone_books_on_a_phones_width(sandbox: str) -> None:
    async with (
        browser_and_gateway(sandbox) as (browser, live),
        visiting(browser, "keyboard-phone", viewport=PHONE, zone="America/New_York") as visit,
    ):
        page = visit.page
        await page.goto(f"{live.url}/book/mel-nelson")
        await expect(page.locator("button.day.offered").first).to_be_visible()
        assert await horizontal_overflow(page) == 0
        await visit.step("calendar")

        await tab_to(page, "button.day.offered")
        await page.keyboard.press("Enter")
        await expect(page.locator("button.slot").first).to_be_focused()
        assert await horizontal_overflow(page) == 0
        await visit.step("slots")

        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Your details")).to_be_focused()
        for selector, text in (
            ("#field-firstName", "Grace"),
            ("#field-lastName", "Hopper"),
            ("#field-email", "grace@acme-corp.io"),
        ):
            await tab_to(page, selector)
            await page.keyboard.type(text)
        assert await horizontal_overflow(page) == 0
        await visit.step("form")

        await tab_to(page, "button[type=submit]")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="You are booked")).to_be_focused()
        confirmed = page.locator(".confirmation dl")
        await expect(confirmed).to_contain_text("Your time (America/New York)")
        await expect(confirmed.locator("dt").nth(1)).to_have_text("UTC")
        assert await horizontal_overflow(page) == 0
        await visit.step("confirmation")
        visit.assert_only_loopback()
    assert bookings_made(sandbox) == 1


HOST_PAGE = """<!doctype html><html lang="en"><head><title>Host</title></head><body>
<script>window.heard = []; addEventListener("message", (e) => window.heard.push(e.data));</script>
<iframe title="Booking" src="{src}" width="900" height="800"></iframe></body></html>"""


async def test_an_embedding_page_prefills_themes_and_hears_the_events(sandbox: str) -> None:
    query = (
        "timeZone=Asia/Tokyo&duration=60&firstName=Ada&lastName=Lovelace"
        "&email=ada%40acme-corp.io&accent=%23004488"
    )
    async with (
        browser_and_gateway(sandbox) as (browser, live),
        visiting(browser, "embedded") as visit,
    ):
        page = visit.page
        host = HOST_PAGE.format(src=f"{live.url}/book/lena-fischer/product-demo?{query}")
        async with host_page(host) as url:
            await page.goto(url)
            await embedded_flow(visit)
    assert bookings_made(sandbox) == 1


async def embedded_flow(visit: Visit) -> None:
    page = visit.page
    frame = page.frame_locator("iframe")
    await expect(frame.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    await expect(frame.get_by_label("60 minutes")).to_be_checked()
    accent = await frame.locator("html").evaluate(
        "(e) => getComputedStyle(e).getPropertyValue('--mg-accent')"
    )
    assert accent.strip() == "#004488"
    await frame.locator("button.day.offered").first.click()
    await frame.locator("button.slot").first.click()
    await expect(frame.get_by_label("First name")).to_have_value("Ada")
    await expect(frame.get_by_label("Email")).to_have_value("ada@acme-corp.io")
    heard = await page.evaluate("window.heard")
    assert [event["type"] for event in heard] == ["meetings-gateway:slot-held"]
    held = heard[0]
    assert held["slug"] == "lena-fischer/product-demo"
    assert held["durationMinutes"] == 60
    assert held["start"].endswith("+09:00")
    await frame.get_by_label(re.compile("Company size")).select_option("11-50")
    await frame.get_by_role("button", name="Book this time").click()
    await expect(frame.get_by_role("heading", name="You are booked")).to_be_visible()
    heard = await page.evaluate("window.heard")
    assert [event["type"] for event in heard][1:] == ["meetings-gateway:booked"]
    assert heard[1]["start"] == held["start"]
    # Framed, the page's axe-core runs are the whole flow's; here its picture in a host.
    await page.screenshot(path=visit.shots / "01-embedded-confirmation.png", full_page=True)


async def open_day(visit: Visit, live: Live, slug: str) -> list[str]:
    """The page on its first offered day, subscribed; the starts of that day's slots."""
    page = visit.page
    async with page.expect_response(
        lambda r: (
            r.request.post_data is not None and "MeetingLinkAvailability" in r.request.post_data
        )
    ) as read:
        await page.goto(f"{live.url}/book/{slug}")
    slots = (await (await read.value).json())["data"]["meetingLink"]["availability"]["slots"]
    await until(lambda: live.runtime.watches.stats.opened >= 1)
    await choose_first_day(page)
    day = slots[0]["start"][:10]
    return [slot["start"] for slot in slots if slot["start"].startswith(day)]


async def test_a_slot_booked_elsewhere_disappears_from_the_open_page(sandbox: str) -> None:
    async with (
        browser_and_gateway(sandbox) as (browser, live),
        visiting(browser, "booked-elsewhere") as visit,
    ):
        starts = await open_day(visit, live, "mel-nelson")
        slots = visit.page.locator("button.slot")
        await expect(slots).to_have_count(len(starts))
        first = await slots.first.inner_text()
        taken = await graphql(live, BOOK, booking("mel-nelson", starts[0], 30))
        assert taken["bookMeeting"]["__typename"] == "BookingConfirmed"
        # Gone while the page stays open (with the times the booking now overlaps).
        await expect(slots.filter(has_text=first)).to_have_count(0)
        assert 0 < await slots.count() < len(starts)
        await visit.step("after-booking-elsewhere")
    assert bookings_made(sandbox) == 1


async def test_a_slot_lost_between_choice_and_submit_is_explained(sandbox: str) -> None:
    async with (
        browser_and_gateway(sandbox) as (browser, live),
        visiting(browser, "lost-slot") as visit,
    ):
        page = visit.page
        starts = await open_day(visit, live, "mel-nelson")
        chosen = await page.locator("button.slot").first.inner_text()
        async with page.expect_response(
            lambda r: r.request.post_data is not None and "HoldSlot" in r.request.post_data
        ) as holding:
            await page.locator("button.slot").first.click()
        hold = (await (await holding.value).json())["data"]["holdSlot"]["hold"]
        assert hold["start"] == starts[0]
        await page.get_by_label("First name").fill("Ada")
        await page.get_by_label("Last name").fill("Lovelace")
        await page.get_by_label("Email").fill("ada@acme-corp.io")
        # The hold ends (as when it runs out) and someone else books the time.
        released = await graphql(live, RELEASE, {"id": hold["id"]})
        assert released["releaseHold"]["__typename"] == "HoldReleased"
        taken = await graphql(live, BOOK, booking("mel-nelson", starts[0], 30))
        assert taken["bookMeeting"]["__typename"] == "BookingConfirmed"
        # Said while the visitor is still on the form...
        await expect(page.locator(".lost")).to_have_text(re.compile("just been booked"))
        await visit.step("told-on-the-form")
        await page.get_by_role("button", name="Book this time").click()
        # ...and on submit: nothing booked, why, and the remaining times; details kept.
        await expect(page.get_by_role("status")).to_have_text(
            re.compile("taken while you were filling in the form, so nothing was booked")
        )
        await expect(page.locator("button.slot").filter(has_text=chosen)).to_have_count(0)
        assert await page.locator("button.slot").count() > 0
        await visit.step("explained")
        await page.locator("button.slot").first.click()
        await expect(page.get_by_label("First name")).to_have_value("Ada")
    assert bookings_made(sandbox) == 1


async def test_the_hold_is_renewed_while_the_form_is_open() -> None:
    # The real clock (a frozen one never brings a hold nearer its end), and a hold short
    # enough that the page renews it at once: under a minute left.
    environ = {"GATEWAY_HOLD_TTL": "62"}
    async with (
        on_loopback(environ) as live,
        chromium() as browser,
        visiting(browser, "renewal") as visit,
    ):
        page = visit.page
        await page.goto(f"{live.url}/book/mel-nelson")
        await page.locator("button.day.offered").first.click()
        async with page.expect_response(
            lambda r: "HoldSlot" in (r.request.post_data or "")
        ) as holding:
            await page.locator("button.slot").first.click()
        hold = (await (await holding.value).json())["data"]["holdSlot"]["hold"]
        async with page.expect_response(
            lambda r: "RenewHold" in (r.request.post_data or ""), timeout=15_000
        ) as renewing:
            await expect(page.get_by_role("timer")).to_have_text(re.compile(r"for 1:0\d"))
        renewed = (await (await renewing.value).json())["data"]["renewHold"]
        assert renewed["__typename"] == "SlotHeld"
        assert renewed["hold"]["id"] == hold["id"]
        ends = datetime.fromisoformat(renewed["hold"]["expiresAt"])
        assert ends > datetime.fromisoformat(hold["expiresAt"])
        await expect(page.get_by_role("timer")).to_have_text(re.compile(r"for 1:0\d"))
        await expect(page.get_by_role("heading", name="Your details")).to_be_visible()
        visit.assert_only_loopback()


async def test_every_kind_of_question_is_asked_and_answered(questioning_sandbox: str) -> None:
    sandbox = questioning_sandbox
    async with (
        browser_and_gateway(sandbox) as (browser, live),
        visiting(browser, "every-question") as visit,
    ):
        page = visit.page
        await page.goto(
            f"{live.url}/book/priya-raman?firstName=Ada&lastName=Lovelace&email=ada%40acme-corp.io"
        )
        await choose_first_day(page)
        await page.locator("button.slot").first.click()
        await page.get_by_role("radio", name="Support").check()
        await page.get_by_role("checkbox", name="Pricing").check()
        await page.get_by_role("checkbox", name="Security").check()
        await page.get_by_role("checkbox", name="Send me the newsletter").check()
        await page.get_by_label("Seats").fill("12")
        await page.get_by_label("Start date").fill("2026-04-01")
        await page.get_by_label("Phone number").fill("+15550100123")
        await page.get_by_label("Notes").fill("Two teams")
        for guest in ("grace@acme-corp.io", "alan@acme-corp.io"):
            await page.get_by_role("button", name="Add a guest").click()
            await page.get_by_label(re.compile(r"^Guest \d email")).last.fill(guest)
        await visit.step("every-question")
        # The required text question, left empty: the gateway's error is shown beside it.
        await page.get_by_role("button", name="Book this time").click()
        await expect(page.locator("#form-company-error")).to_have_text(
            re.compile("required form field company")
        )
        await page.get_by_label("Company").fill("Analytical Engines")
        async with page.expect_request(lambda r: "BookMeeting" in (r.post_data or "")) as sent:
            await page.get_by_role("button", name="Book this time").click()
        await expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
        body = (await sent.value).post_data_json
        assert body is not None
        sent_input = body["variables"]["input"]
        assert {field["name"]: field["value"] for field in sent_input["formFields"]} == {
            "team": "support",
            "topics": "pricing;security",
            "newsletter": "true",
            "seats": "12",
            "start_date": "2026-04-01",
            "phone": "+15550100123",
            "company": "Analytical Engines",
            "notes": "Two teams",
        }
        assert sent_input["guestEmails"] == ["grace@acme-corp.io", "alan@acme-corp.io"]
        await expect(page.locator(".confirmation dl")).to_contain_text("grace@acme-corp.io")
        await visit.step("confirmation")
    assert bookings_made(sandbox) == 1


async def test_months_page_within_the_window_and_the_zone_can_change(sandbox: str) -> None:
    # Six weeks from Monday 2 March: March and April up to the 13th.
    async with (
        browser_and_gateway(sandbox) as (browser, live),
        visiting(browser, "months-and-zones", zone="America/New_York") as visit,
    ):
        page = visit.page
        await page.goto(f"{live.url}/book/lena-fischer/product-demo")
        month = page.locator("#month-heading")
        await expect(month).to_have_text("March 2026")
        previous = page.get_by_role("button", name="Previous month")
        following = page.get_by_role("button", name="Next month")
        await expect(previous).to_be_disabled()
        await following.click()
        await expect(month).to_have_text("April 2026")
        await expect(following).to_be_disabled()
        offered = page.locator("button.day.offered")
        await expect(offered.first).to_be_visible()
        days = [int(text) for text in await offered.all_inner_texts()]
        assert days
        assert max(days) <= 13
        await visit.step("april")

        await choose_first_day(page)
        before = await page.locator("button.slot").first.inner_text()
        await page.get_by_label("Time zone").select_option("Asia/Tokyo")
        await expect(page.locator(".zone-note")).to_have_text("Times in Asia/Tokyo")
        await expect(month).to_have_text("April 2026")
        await choose_first_day(page)
        after = await page.locator("button.slot").first.inner_text()
        assert after != before
        await expect(page.locator("button.slot").first).to_contain_text("Asia/Tokyo")
        await visit.step("tokyo")
        visit.assert_only_loopback()
