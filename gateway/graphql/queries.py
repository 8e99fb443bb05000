"""The root query: links (a Relay connection), one link by slug, and any node by global ID."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gateway.errors import InputError
from gateway.graphql.context import Context
from gateway.graphql.rendered import renderer
from gateway.graphql.scalars import TimeZone
from gateway.graphql.types import (
    LinkType,
    MeetingLinkConnection,
    MeetingLinkEdge,
    MeetingLinkObject,
    Node,
    PageInfo,
    SlotObject,
    parse_global_id,
)
from gateway.hubspot import models
from gateway.meetings.service import MAX_EARLIEST_SLUGS
from gateway.meetings.slugs import slug_problem

Info = strawberry.Info[Context, None]

DEFAULT_PAGE_SIZE = 20


@strawberry.type(description="The earliest slot across several links, and its link.")
class EarliestSlot:
    meeting_link: MeetingLinkObject
    slot: SlotObject


@strawberry.type
class Query:
    @strawberry.field(description="Meeting links, newest first as HubSpot orders them.")
    async def meeting_links(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description="Page size, up to the gateway's maximum.")
        ] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None, strawberry.argument(description="The endCursor of the previous page.")
        ] = None,
        name: Annotated[
            str | None, strawberry.argument(description="Only links whose name contains this.")
        ] = None,
        type: Annotated[
            LinkType | None, strawberry.argument(description="Only links of this type.")
        ] = None,
        organizer_user_id: Annotated[
            str | None, strawberry.argument(description="Only links this user organizes.")
        ] = None,
    ) -> MeetingLinkConnection:
        page = await info.context.service.links(
            first=first,
            after=after,
            name=name,
            link_type=models.LinkType(type) if type else None,
            organizer_user_id=organizer_user_id,
        )
        info.context.reads.note(page.stale)
        nodes = [MeetingLinkObject.of(link) for link in page.links]
        edges = [
            MeetingLinkEdge(cursor=cursor, node=node)
            for cursor, node in zip(page.cursors, nodes, strict=True)
        ]
        return MeetingLinkConnection(
            edges=edges,
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=after is not None,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total_count=page.total,
        )

    @strawberry.field(description="One link by slug; null when no link has it.")
    async def meeting_link(self, info: Info, slug: str) -> MeetingLinkObject | None:
        # A slug no link can have (too long, "..", "%2F", control characters) is simply not
        # found, without a read.
        if slug_problem(slug) is not None:
            return None
        link = await info.context.loaders.link_by_slug.load(slug)
        return MeetingLinkObject.of(link) if link else None

    @strawberry.field(description="Any object by its global ID; null when it does not exist.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, key = parse_global_id(id)
        if type_name != "MeetingLink" or slug_problem(key) is not None:
            return None
        link = await info.context.loaders.link_by_slug.load(key)
        return MeetingLinkObject.of(link) if link else None

    @strawberry.field(
        description=(
            "The earliest offered slot across up to 10 links, each looked up like "
            "`nextAvailableSlot`; null when none has one. Unknown slugs are skipped."
        )
    )
    async def earliest_slot(
        self,
        info: Info,
        slugs: list[str],
        time_zone: TimeZone,
        duration_minutes: int | None = None,
        after: datetime | None = None,
    ) -> EarliestSlot | None:
        if len(slugs) > MAX_EARLIEST_SLUGS:
            raise InputError(
                "slugs", "LIST_TOO_LARGE", f"at most {MAX_EARLIEST_SLUGS} slugs may be given"
            )
        # A slug no link can have is simply not found, without a read (as in meetingLink).
        read = await info.context.service.earliest_slot(
            [slug for slug in slugs if slug_problem(slug) is None],
            duration_minutes=duration_minutes,
            after=after,
        )
        info.context.reads.note(read.stale, read.held)
        if read.value is None:
            return None
        link, slot = read.value
        return EarliestSlot(
            meeting_link=MeetingLinkObject.of(link), slot=SlotObject.of(slot, renderer(time_zone))
        )
