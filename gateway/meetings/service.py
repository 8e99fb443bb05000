"""MeetingsService: the domain over the cached data layer and the HubSpot client.

Reads go through the read-through cache; the booking write goes straight to the client, after
every check that can be made without it, and then drops what the booking made stale.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from gateway.cache import Cached, ReadThroughCache, Resource
from gateway.cache.idempotency import IdempotencyStore
from gateway.clock import Clock
from gateway.errors import (
    InputError,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from gateway.hubspot.budget import BOOKING_HOLD, IN_BOOKING, Hold
from gateway.hubspot.client import HubSpotClient
from gateway.hubspot.models import (
    AvailabilityPage,
    BookingInfo,
    BookingRequest,
    BookingResponse,
    LinksPage,
    LinkType,
    MeetingLink,
)
from gateway.meetings import booking as rules
from gateway.meetings.availability import (
    AvailabilityWindow,
    EmptyReason,
    Slot,
    empty_reason,
    merge_slots,
)
from gateway.meetings.booking import (
    BookingCommand,
    BookingConfirmed,
    BookingOutcome,
    InvalidBookingInput,
    MeetingLinkNotFound,
    SlotUnavailable,
)
from gateway.meetings.fresh import FreshReads
from gateway.meetings.timeline import (
    UPSTREAM_ZONE,
    month_offsets,
    to_ms,
    window_end,
    window_start,
)
from gateway.settings import Settings

T = TypeVar("T")

log = logging.getLogger("gateway.meetings")

# Every booking drops what carries this tag, whatever link it was on: for derived data, such
# as whole GraphQL responses, that cannot tell which links and members it depends on.
EVERY_BOOKING = "bookings"
UPSTREAM_PAGE_LIMIT = 100
# nextAvailableSlot looks at most this many month pages ahead before giving up.
MAX_PAGES_FOR_NEXT_SLOT = 6
MAX_SLOTS = 5000
# What a booking holds of the rate budget once its input is checked: its fresh read, its POST.
BOOKING_CALLS = 2


def _resource(name: str, ttl: float, max_stale: float, parse: Callable[[object], T]) -> Resource[T]:
    def encode(value: T) -> bytes:
        return json.dumps(value.wire, separators=(",", ":")).encode()  # type: ignore[attr-defined]

    def decode(raw: bytes) -> T:
        return parse(json.loads(raw))

    return Resource(name=name, ttl=ttl, max_stale=max_stale, encode=encode, decode=decode)


@dataclass
class ReadLog:
    """What one request's reads were like; a response built on stale reads is not reused."""

    stale: bool = False


READS: ContextVar[ReadLog | None] = ContextVar("gateway_reads", default=None)


@dataclass(frozen=True, slots=True)
class LinkConnection:
    links: tuple[MeetingLink, ...]
    cursors: tuple[str, ...]
    has_next_page: bool
    total: int


@dataclass(frozen=True, slots=True)
class BookingInfoView:
    info: BookingInfo
    fetched_at: datetime
    stale: bool


class MeetingsService:
    def __init__(
        self,
        *,
        client: HubSpotClient,
        cache: ReadThroughCache,
        idempotency: IdempotencyStore,
        clock: Clock,
        settings: Settings,
        tenant: str,
    ) -> None:
        self._client = client
        self._cache = cache
        self._idempotency = idempotency
        self._clock = clock
        self._settings = settings
        self._tenant = tenant
        self._links = _resource("links", settings.links_ttl, settings.max_stale, LinksPage.parse)
        self._info = _resource(
            "booking-info", settings.booking_info_ttl, settings.max_stale, BookingInfo.parse
        )
        self._pages = _resource(
            "availability", settings.availability_ttl, settings.max_stale, AvailabilityPage.parse
        )
        self._fresh: FreshReads[AvailabilityPage, Hold] = FreshReads()

    def now(self) -> datetime:
        return self._clock.now()

    # --- links ----------------------------------------------------------------------------------

    async def links(
        self,
        *,
        first: int,
        after: str | None,
        name: str | None = None,
        link_type: LinkType | None = None,
        organizer_user_id: str | None = None,
    ) -> LinkConnection:
        """A Relay page of links: ``first`` links after the edge whose cursor is ``after``."""
        if not 0 <= first <= self._settings.max_page_size:
            raise InputError(
                "first", "OUT_OF_RANGE", f"first must be 0..{self._settings.max_page_size}"
            )
        upstream_after, skip = decode_cursor(after) if after else (None, 0)
        links: list[MeetingLink] = []
        cursors: list[str] = []
        total = 0
        while True:
            page = await self.links_page(
                limit=min(UPSTREAM_PAGE_LIMIT, first + skip + 1),
                after=upstream_after,
                name=name,
                link_type=link_type,
                organizer_user_id=organizer_user_id,
            )
            total = page.total
            for index, link in enumerate(page.results[skip:], start=skip):
                if len(links) == first:
                    return LinkConnection(tuple(links), tuple(cursors), True, total)
                links.append(link)
                cursors.append(encode_cursor(upstream_after, index + 1))
            if page.next_after is None:
                return LinkConnection(tuple(links), tuple(cursors), False, total)
            if len(links) == first:
                return LinkConnection(tuple(links), tuple(cursors), True, total)
            upstream_after, skip = page.next_after, 0

    async def link(self, slug: str) -> MeetingLink | None:
        """A link by slug (HubSpot has no such read, so the cached link list is the index)."""
        return next((link for link in await self._all_links() if link.slug == slug), None)

    async def link_by_id(self, hubspot_id: str) -> MeetingLink | None:
        return next((link for link in await self._all_links() if link.id == hubspot_id), None)

    async def _all_links(self) -> tuple[MeetingLink, ...]:
        links: list[MeetingLink] = []
        after: str | None = None
        while True:
            page = await self.links_page(limit=UPSTREAM_PAGE_LIMIT, after=after)
            links.extend(page.results)
            if page.next_after is None:
                return tuple(links)
            after = page.next_after

    async def links_page(
        self,
        *,
        limit: int,
        after: str | None,
        name: str | None = None,
        link_type: LinkType | None = None,
        organizer_user_id: str | None = None,
    ) -> LinksPage:
        """One upstream page of links, as HubSpot pages them (cached)."""
        params: dict[str, str | int | None] = {
            "limit": limit,
            "after": after,
            "name": name,
            "type": link_type.value if link_type else None,
            "organizerUserId": organizer_user_id,
        }

        def load() -> Awaitable[LinksPage]:
            return self._client.list_links(
                limit=limit,
                after=after,
                name=name,
                organizer_user_id=organizer_user_id,
                link_type=link_type,
            )

        return (await self._read(self._links, params, load, ("links",))).value

    async def _read(
        self,
        resource: Resource[T],
        params: dict[str, str | int | None],
        load: Callable[[], Awaitable[T]],
        tags: Iterable[str],
    ) -> Cached[T]:
        cached = await self._cache.get(resource, self._tenant, params, load, tags)
        log = READS.get()
        if cached.stale and log is not None:
            log.stale = True
        return cached

    # --- booking info and availability ------------------------------------------------------------

    async def _tags(self, slug: str) -> tuple[str, ...]:
        link = await self.link(slug)
        members = link.member_user_ids if link else ()
        return (f"link:{slug}", *(f"member:{member}" for member in members))

    async def booking_info(
        self, slug: str, zone: str = UPSTREAM_ZONE, tags: Iterable[str] | None = None
    ) -> BookingInfoView | None:
        """The link's settings, members and first availability page; None for an unknown slug.

        ``zone`` only shapes the embedded first month page; the graph always reads in UTC so
        that one cached copy serves every client zone."""
        try:
            cached = await self._read(
                self._info,
                {"slug": slug, "timezone": zone},
                lambda: self._client.booking_info(slug, zone),
                await self._tags(slug) if tags is None else tuple(tags),
            )
        except UpstreamNotFound:
            return None
        return BookingInfoView(cached.value, cached.fetched_at, cached.stale)

    async def availability_page(
        self,
        slug: str,
        month_offset: int,
        tags: Iterable[str] | None = None,
        zone: str = UPSTREAM_ZONE,
    ) -> Cached[AvailabilityPage]:
        """One upstream month page (cached); ``zone`` decides where the month begins."""
        return await self._read(
            self._pages,
            {"slug": slug, "monthOffset": month_offset, "timezone": zone},
            lambda: self._client.availability_page(slug, zone, month_offset),
            await self._tags(slug) if tags is None else tuple(tags),
        )

    async def availability(
        self,
        slug: str,
        *,
        start: datetime | None,
        end: datetime | None,
        duration_minutes: int | None,
        first: int | None,
    ) -> AvailabilityWindow | None:
        """Offered slots in ``[start, end)`` (default: now to the end of the booking window)."""
        check_duration(duration_minutes)
        if first is not None and not 0 <= first <= MAX_SLOTS:
            raise InputError("first", "OUT_OF_RANGE", f"first must be 0..{MAX_SLOTS}")
        now = self._clock.now()
        limit = timedelta(days=self._settings.max_availability_days)
        if end is not None:
            if end <= (start or now):
                raise InputError("to", "INVALID_RANGE", "to must be after from (and after now)")
            if end - (start or now) > limit:
                raise InputError(
                    "to",
                    "RANGE_TOO_LONG",
                    f"a range may span at most {self._settings.max_availability_days} days",
                )
        # The link's cache tags, read once for the booking info and every month page.
        tags = await self._tags(slug)
        view = await self.booking_info(slug, tags=tags)
        if view is None:
            return None
        info = view.info
        opens = window_start(info.settings, now)
        closes = window_end(info.settings, now)
        start = start or now
        end = end or min(max(closes, start + timedelta(days=1)), start + limit)
        duration_ms = duration_minutes * 60_000 if duration_minutes is not None else None
        pages = (
            await asyncio.gather(
                *(
                    self.availability_page(slug, offset, tags)
                    for offset in month_offsets(now, max(start, now), end)
                )
            )
            if end > now
            else []
        )
        slots = merge_slots(
            (page.value.availability for page in pages), to_ms(start), to_ms(end), duration_ms
        )
        last = pages[-1].value.availability if pages else None
        has_more = last is not None and (
            last.has_more
            or any(s.start_ms >= to_ms(end) for spans in last.by_duration.values() for s in spans)
        )
        if first is not None and len(slots) > first:
            slots, has_more = slots[:first], True
        reason = None
        if not slots:
            earliest = _earliest(info)
            reason = empty_reason(
                info,
                now_ms=to_ms(now),
                start_ms=to_ms(start),
                end_ms=to_ms(end),
                duration_ms=duration_ms,
                window_start_ms=to_ms(opens),
                window_end_ms=to_ms(closes),
                earliest_slot_ms=earliest,
            )
        fetched = [view.fetched_at, *(page.fetched_at for page in pages)]
        return AvailabilityWindow(
            slots=tuple(slots),
            durations_ms=info.settings.durations_ms,
            has_more=has_more,
            empty_reason=reason,
            fetched_at=min(fetched),
            stale=view.stale or any(page.stale for page in pages),
        )

    async def next_available_slot(
        self, slug: str, *, duration_minutes: int | None, after: datetime | None
    ) -> Slot | None:
        """The first offered slot at or after ``after``, looking a bounded number of months."""
        check_duration(duration_minutes)
        now = self._clock.now()
        start = max(after or now, now)
        duration_ms = duration_minutes * 60_000 if duration_minutes is not None else None
        tags = await self._tags(slug)
        first_offset = month_offsets(now, start, start + timedelta(microseconds=1)).start
        for offset in range(first_offset, first_offset + MAX_PAGES_FOR_NEXT_SLOT):
            page = (await self.availability_page(slug, offset, tags)).value.availability
            if page is None:
                return None
            slots = merge_slots([page], to_ms(start), 2**62, duration_ms)
            if slots:
                return slots[0]
            if not page.has_more:
                return None
        return None

    # --- booking --------------------------------------------------------------------------------

    async def book(self, command: BookingCommand) -> BookingOutcome:
        if command.idempotency_key is None:
            return await self._book(command)
        outcome: list[BookingOutcome] = []

        async def action() -> bytes:
            result = await self._book(command)
            outcome.append(result)
            if isinstance(result, rules.UpstreamUnavailable):
                # Not a result to replay: the next try must reach the upstream again.
                raise _Retryable
            return _encode_outcome(result)

        try:
            stored = await self._idempotency.run(
                self._tenant, command.idempotency_key, command.fingerprint(), action
            )
        except _Retryable:
            return outcome[0]
        return outcome[0] if outcome else _decode_outcome(stored)

    async def _book(self, command: BookingCommand) -> BookingOutcome:
        IN_BOOKING.set(True)  # its reads are in the booking lane; the request ends with it
        errors = rules.check_contact(command)
        if errors:
            return InvalidBookingInput(tuple(errors))
        try:
            view = await self.booking_info(command.slug)
            if view is None:
                return MeetingLinkNotFound(command.slug)
            errors = rules.check_against_link(command, view.info)
            if errors:
                return InvalidBookingInput(tuple(errors))
            start_ms = to_ms(command.start)
            duration_ms = command.duration_minutes * 60_000
            if not await self._is_offered_now(command.slug, start_ms, duration_ms):
                return _slot_unavailable(command)
            # Known before the write: once HubSpot has booked, nothing may fail the answer.
            stale_tags = (*await self._tags(command.slug), EVERY_BOOKING)
            response = await self._client.book(
                BookingRequest(
                    slug=command.slug,
                    first_name=command.first_name,
                    last_name=command.last_name,
                    email=command.email,
                    start_ms=start_ms,
                    duration_ms=duration_ms,
                    timezone=command.timezone,
                    form_fields=command.form_fields,
                    legal_consent_responses=command.legal_consent_responses,
                    likely_available_user_ids=command.likely_available_user_ids,
                    guest_emails=command.guest_emails,
                    locale=command.locale,
                )
            )
        except UpstreamNotFound:
            return MeetingLinkNotFound(command.slug)
        except UpstreamValidationError as exc:
            if exc.reason == "MEETING_START_TIME_NOT_VALID":
                return _slot_unavailable(command)
            field = "durationMinutes" if exc.reason == "MEETING_DURATION_NOT_VALID" else "input"
            return InvalidBookingInput((rules.FieldError(field, exc.reason, exc.message),))
        except (UpstreamUnavailable, UpstreamRateLimited) as exc:
            rate_limited = isinstance(exc, UpstreamRateLimited)
            return rules.UpstreamUnavailable(exc.message, exc.retry_after, rate_limited)
        except UpstreamError as exc:
            return rules.UpstreamUnavailable(exc.message, None)
        try:
            await self._cache.invalidate(self._tenant, stale_tags)
        except Exception:
            # The meeting is booked; a failed invalidation only leaves cached pages to expire.
            log.exception(
                "booking on %s confirmed, but its cache invalidation failed", command.slug
            )
        return BookingConfirmed(response, command.timezone)

    async def _is_offered_now(self, slug: str, start_ms: int, duration_ms: int) -> bool:
        """Read the start's month fresh from the upstream: a cached page may be out of date.

        The booking first holds its two calls (this read and the POST that follows, which the
        client spends as it admits them), so reads and younger bookings leave it their room.
        Bookings of one page share a read that started after they began (``fresh.py``)."""
        began = self._fresh.stamp()
        now = self._clock.now()
        start = datetime.fromtimestamp(start_ms / 1000, now.tzinfo)
        if start < now:
            return False
        offset = month_offsets(now, start, start + timedelta(microseconds=1)).start
        hold = await self._client.hold(BOOKING_CALLS)
        token = BOOKING_HOLD.set(hold)
        try:
            page = await self._fresh_page(slug, offset, began, hold)
        except BaseException:
            await self._client.release(hold)
            BOOKING_HOLD.reset(token)
            raise
        offered = page.availability is not None and any(
            span.start_ms == start_ms for span in page.availability.by_duration.get(duration_ms, ())
        )
        if not offered:
            await self._client.release(hold)
            BOOKING_HOLD.reset(token)
        return offered

    async def _fresh_page(self, slug: str, offset: int, began: int, hold: Hold) -> AvailabilityPage:
        async def load(holds: list[Hold]) -> AvailabilityPage:
            # One read for all: it goes out as the oldest of them (in its own task's context),
            # and the others give back the call each held for it.
            oldest = min(holds, key=lambda kept: kept.seq)
            for kept in holds:
                if kept is not oldest:
                    await self._client.release(kept, 1)
            BOOKING_HOLD.set(oldest)
            return await self._client.availability_page(slug, UPSTREAM_ZONE, offset, kind="booking")

        read, handed = self._fresh.join((self._tenant, slug, offset), began, load, hold)
        if not handed:
            await self._client.release(hold, 1)  # a read under way is this booking's too
        return await asyncio.shield(read)


def check_duration(minutes: int | None) -> None:
    if minutes is not None and not 0 < minutes <= 24 * 60:
        raise InputError("durationMinutes", "OUT_OF_RANGE", "durationMinutes must be 1..1440")


class _Retryable(Exception):
    pass


def _slot_unavailable(command: BookingCommand) -> SlotUnavailable:
    return SlotUnavailable(
        "that time is no longer offered; read the availability again",
        command.start,
        command.duration_minutes,
    )


def _earliest(info: BookingInfo) -> int | None:
    if info.availability is None:
        return None
    starts = [s.start_ms for spans in info.availability.by_duration.values() for s in spans]
    return min(starts) if starts else None


def encode_cursor(upstream_after: str | None, skip: int) -> str:
    raw = json.dumps([upstream_after, skip], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[str | None, int]:
    try:
        upstream_after, skip = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InputError("after", "INVALID_CURSOR", "after is not a cursor of this API") from exc
    if (
        not (upstream_after is None or isinstance(upstream_after, str))
        or not isinstance(skip, int)
        or not 0 <= skip <= UPSTREAM_PAGE_LIMIT
    ):
        raise InputError("after", "INVALID_CURSOR", "after is not a cursor of this API")
    return upstream_after, skip


def _encode_outcome(outcome: BookingOutcome) -> bytes:
    payload: dict[str, Any]
    if isinstance(outcome, BookingConfirmed):
        payload = {"kind": "confirmed", "wire": outcome.response.wire, "tz": outcome.timezone}
    elif isinstance(outcome, SlotUnavailable):
        payload = {
            "kind": "slot",
            "message": outcome.message,
            "start": outcome.start.isoformat(),
            "minutes": outcome.duration_minutes,
        }
    elif isinstance(outcome, InvalidBookingInput):
        payload = {
            "kind": "invalid",
            "errors": [[e.field, e.code, e.message] for e in outcome.errors],
        }
    elif isinstance(outcome, MeetingLinkNotFound):
        payload = {"kind": "not-found", "slug": outcome.slug}
    else:
        raise TypeError(f"not a stored outcome: {outcome!r}")
    return json.dumps(payload).encode()


def _decode_outcome(raw: bytes) -> BookingOutcome:
    payload = json.loads(raw)
    kind = payload["kind"]
    if kind == "confirmed":
        return BookingConfirmed(BookingResponse.parse(payload["wire"]), payload["tz"])
    if kind == "slot":
        return SlotUnavailable(
            payload["message"], datetime.fromisoformat(payload["start"]), payload["minutes"]
        )
    if kind == "invalid":
        return InvalidBookingInput(tuple(rules.FieldError(*e) for e in payload["errors"]))
    return MeetingLinkNotFound(payload["slug"])


__all__ = ["EmptyReason", "LinkConnection", "MeetingsService"]
