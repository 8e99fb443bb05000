"""Links over GraphQL: Relay paging onto HubSpot's cursors, lookups by slug and by global ID."""

from __future__ import annotations

from tests.support.harness import Gateway, operation

LINKS = operation("ListMeetingLinks")


async def test_paging_walks_every_link_once(gateway: Gateway) -> None:
    seen: list[str] = []
    after = None
    total = None
    while True:
        data = await gateway.data(LINKS, {"first": 7, "after": after})
        page = data["meetingLinks"]
        total = page["totalCount"]
        seen += [edge["node"]["slug"] for edge in page["edges"]]
        assert len(page["edges"]) <= 7
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert len(seen) == total == len(set(seen))
    assert total > 40
    assert "acme-team/ai-booked-call" in seen


async def test_filters_reach_the_upstream(gateway: Gateway) -> None:
    data = await gateway.data(LINKS, {"first": 50, "type": "ROUND_ROBIN_CALENDAR"})
    nodes = [edge["node"] for edge in data["meetingLinks"]["edges"]]
    assert nodes
    assert {node["type"] for node in nodes} == {"ROUND_ROBIN_CALENDAR"}
    data = await gateway.data(LINKS, {"first": 50, "organizerUserId": "2345678"})
    assert {e["node"]["organizerUserId"] for e in data["meetingLinks"]["edges"]} == {"2345678"}


async def test_a_link_by_slug_and_by_global_id(gateway: Gateway) -> None:
    query = """query($slug: String!) { meetingLink(slug: $slug) { id slug type memberUserIds } }"""
    link = (await gateway.data(query, {"slug": "acme-team/ai-booked-call"}))["meetingLink"]
    assert link["type"] == "ROUND_ROBIN_CALENDAR"
    assert len(link["memberUserIds"]) == 3
    node = await gateway.data(
        "query($id: ID!) { node(id: $id) { id ... on MeetingLink { slug } } }", {"id": link["id"]}
    )
    assert node["node"] == {"id": link["id"], "slug": "acme-team/ai-booked-call"}
    missing = await gateway.data(query, {"slug": "no-such-link"})
    assert missing["meetingLink"] is None


async def test_a_bad_cursor_is_a_typed_error_without_upstream_call(gateway: Gateway) -> None:
    before = await gateway.calls()
    body = await gateway.execute(LINKS, {"first": 5, "after": "not-a-cursor"})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    assert await gateway.calls() == before
    body = await gateway.execute(LINKS, {"first": 100000})
    # Refused at validation (graphql/limits.py), before the resolver's own range check.
    assert body["errors"][0]["extensions"]["code"] == "LIST_TOO_LARGE"
    assert await gateway.calls() == before


async def test_booking_info_is_read_once_per_distinct_link(gateway: Gateway) -> None:
    query = """
    query {
      meetingLinks(first: 20) {
        nodes { slug bookingInfo(timeZone: "Europe/Berlin") { durationsMinutes } }
      }
      a: meetingLink(slug: "mel-nelson") { bookingInfo { bufferMinutes } }
      b: meetingLink(slug: "mel-nelson") { bookingInfo { bufferMinutes } }
    }
    """
    before = (await gateway.calls()).get("booking_info", 0)
    data = await gateway.data(query)
    slugs = {node["slug"] for node in data["meetingLinks"]["nodes"]} | {"mel-nelson"}
    made = (await gateway.calls()).get("booking_info", 0) - before
    assert 0 < made <= len(slugs)
    assert data["a"] == data["b"]
