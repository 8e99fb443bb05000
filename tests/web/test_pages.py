"""The pages over HTTP: the HTML shells, their policy, the data handed to the scripts, and the
bundle they load (every file they name is served, from the package)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from gateway.web.bundle import DIST
from tests.support.harness import NOW, OPERATIONS, Gateway

HTML = {"Accept": "text/html"}
PAGE_DATA = re.compile(r'<script type="application/json" id="page-data">(.*?)</script>', re.S)
ASSET = re.compile(r'(?:src|href)="(/web/[^"]+)"')


def page_data(html: str) -> Any:
    found = PAGE_DATA.search(html)
    assert found is not None, html
    return json.loads(found.group(1))


def policy(headers: Any) -> dict[str, str]:
    directives = (
        part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";")
    )
    return dict(directives)


@pytest.mark.parametrize(
    ("path", "headers", "entry"),
    [("/graphql", HTML, "graphiql"), ("/docs", {}, "docs"), ("/book/mel-nelson", {}, "book")],
)
async def test_every_page_loads_only_the_gateways_own_files(
    gateway: Gateway, path: str, headers: dict[str, str], entry: str
) -> None:
    page = await gateway.http.get(path, headers=headers)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    rules = policy(page.headers)
    for directive in ("default-src", "script-src", "style-src", "connect-src"):
        assert rules[directive] == "'self'"
    assert rules["frame-ancestors"] == ("*" if entry == "book" else "'self'")
    assets = ASSET.findall(page.text)
    assert assets == [f"/web/{entry}.css", f"/web/{entry}.js"]
    assert "http://" not in page.text
    assert "https://" not in page.text
    for asset in assets:
        served = await gateway.http.get(asset)
        assert served.status_code == 200
        assert served.content == (DIST / asset.removeprefix("/web/")).read_bytes()


async def test_the_booking_page_hands_its_slug_and_the_gateways_clock(gateway: Gateway) -> None:
    page = await gateway.http.get("/book/acme-team/ai-booked-call")
    data = page_data(page.text)
    assert data == {
        "slug": "acme-team/ai-booked-call",
        "endpoint": "/graphql",
        "now": datetime.fromisoformat(NOW).isoformat(),
    }


async def test_a_slug_cannot_break_out_of_the_pages_data(gateway: Gateway) -> None:
    page = await gateway.http.get("/book/%3C%2Fscript%3E%3Cscript%3Ealert(1)")
    assert "</script><script>" not in page.text
    assert page_data(page.text)["slug"] == "</script><script>alert(1)"


async def test_the_docs_page_renders_the_served_document(gateway: Gateway) -> None:
    page = await gateway.http.get("/docs")
    document = page_data(page.text)["document"]
    assert (await gateway.http.get(document)).json()["openapi"] == "3.1.0"


OPERATION_NAME = re.compile(r"^(?:query|mutation|subscription) (\w+)", re.M)
# What the tabs' variables run as they open; the hold ids of RenewHold and ReleaseHold are
# the visitor's to paste, and BookMeeting would book.
RUNS_AS_OPENED = (
    "ListMeetingLinks",
    "MeetingLinkBookingInfo",
    "MeetingLinkAvailability",
    "EarliestSlot",
    "HoldSlot",
    "BookingPage",
)


def tabs_by_name(html: str) -> dict[str, dict[str, Any]]:
    tabs: dict[str, dict[str, Any]] = {}
    for tab in page_data(html)["tabs"]:
        found = OPERATION_NAME.search(tab["query"])
        assert found is not None, tab
        tabs[found.group(1)] = {"query": tab["query"], "variables": json.loads(tab["variables"])}
    return tabs


async def test_graphiql_opens_every_shipped_operation_with_variables_that_run(
    gateway: Gateway,
) -> None:
    tabs = tabs_by_name((await gateway.http.get("/graphql", headers=HTML)).text)
    assert list(tabs)[:3] == list(RUNS_AS_OPENED[:3])
    assert set(tabs) == {path.stem for path in OPERATIONS.glob("*.graphql")}
    answers = {}
    for name in RUNS_AS_OPENED:
        body = await gateway.execute(tabs[name]["query"], tabs[name]["variables"])
        assert "errors" not in body, (name, body)
        answers[name] = body["data"]
    window = tabs["MeetingLinkAvailability"]["variables"]
    start = datetime.fromisoformat(window["from"])
    assert start == datetime.fromisoformat(NOW)
    assert datetime.fromisoformat(window["to"]) - start == timedelta(days=7)
    assert answers["MeetingLinkAvailability"]["meetingLink"]["availability"]["slots"]
    assert answers["HoldSlot"]["holdSlot"]["__typename"] == "SlotHeld"
