"""MeetingsService: the domain over the cached data layer and the HubSpot client.

Reads go through the read-through cache; the booking write goes straight to the client, after
every check that can be made without it, and then drops what the booking made stale.

A booking runs in a task of its own (the idempotency store's, or ``Flights``'): the client's
request waits for it until its deadline, then answers ``BookingInProgress`` (with a key: a
retry with it gets the answer) or ``BookingOutcomeUnknown`` (without one), while the call
runs on to HubSpot's answer, which is recorded under the key, drops the stale cache entries
and is logged. A booking whose answer never came is recorded as ``BookingOutcomeUnknown``:
it is never sent again under its key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, Generic, NoReturn, TypeVar

import orjson

from gateway.cache import (
    Cached,
    Claim,
    HoldStore,
    IdempotencyStore,
    MemoryHoldStore,
    Pass,
    ReadThroughCache,
    Resource,
)
from gateway.clock import Clock
from gateway.deadline import current_deadline
from gateway.errors import (
    IdempotencyInDoubt,
    IdempotencyInProgress,
    IdempotencyUnrecorded,
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamOutcomeUnknown,
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
    LinkAvailability,
    LinksPage,
    LinkType,
    MeetingLink,
)
from gateway.meetings import booking as rules
from gateway.meetings.availability import (
    EVERY_MS,
    NO_SLOTS,
    AvailabilityWindow,
    EmptyReason,
    MonthSlots,
    Slot,
    empty_reason,
    first_of,
    window_runs,
)
from gateway.meetings.booking import (
    BookingCommand,
    BookingConfirmed,
    BookingInProgress,
    BookingOutcome,
    BookingOutcomeUnknown,
    InvalidBookingInput,
    MeetingLinkNotFound,
    SlotUnavailable,
    decode_outcome,
    encode_outcome,
)
from gateway.meetings.changes import Reason
from gateway.meetings.cursors import UPSTREAM_PAGE_LIMIT, decode_cursor, encode_cursor
from gateway.meetings.flights import Flights, SendMark
from gateway.meetings.fresh import FreshReads
from gateway.meetings.holds import SlotHolds
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
# Carried by every availability page and booking info: what HubSpot's webhooks say may have
# moved (a meeting made, changed or deleted outside the gateway) without saying on which link.
OFFERED_TIMES = "offered"
# nextAvailableSlot looks at most this many month pages ahead before giving up.
MAX_PAGES_FOR_NEXT_SLOT = 6
# The most upstream calls one booking makes: the link list, its booking info, the fresh read
# of its month, the POST.
BOOKING_UPSTREAM_CALLS = 4
# What a booking holds of the rate budget once its input is checked: its fresh read, its POST.
BOOKING_HELD_CALLS = 2
# earliestSlot looks at most this many links, each like nextAvailableSlot.
MAX_EARLIEST_SLUGS = 10
# Past a booking's own bound, the time its process has to record HubSpot's answer before
# other processes call its outcome unknown.
RECORD_GRACE = 2.0


def _resource(name: str, ttl: float, max_stale: float, parse: Callable[[object], T]) -> Resource[T]:
    def encode(value: T) -> bytes:
        # orjson: a month page is hundreds of KB, written to Redis on every load.
        return orjson.dumps(value.wire)  # type: ignore[attr-defined]

    def decode(raw: bytes) -> T:
        return parse(orjson.loads(raw))

    return Resource(name=name, ttl=ttl, max_stale=max_stale, encode=encode, decode=decode)


@dataclass(frozen=True, slots=True)
class Read(Generic[T]):
    """A value and whether any cached read behind it was stale (so not to be reused)."""

    value: T
    stale: bool
    # A held slot was hidden: the answer must not outlive the hold.
    held: bool = False


@dataclass(frozen=True, slots=True)
class LinkConnection:
    links: tuple[MeetingLink, ...]
    cursors: tuple[str, ...]
    has_next_page: bool
    total: int
    stale: bool = False


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
        flights: Flights | None = None,
        holds: HoldStore | None = None,
    ) -> None:
        """``flights`` holds the bookings without a key under way (the app shares one);
        ``holds`` is the slot hold store (default: this service's own, in process)."""
        self._flights = flights or Flights()
        self._client = client
        self._cache = cache
        self._idempotency = idempotency
        self._clock = clock
        self._settings = settings
        self._tenant = tenant
        self._links = _resource("links", settings.links_ttl, settings.max_stale, LinksPage.parse)
        self._info = _resource(
            "booking-info", settings.booking_info_fresh_for, settings.max_stale, BookingInfo.parse
        )
        self._pages = _resource(
            "availability", settings.availability_ttl, settings.max_stale, AvailabilityPage.parse
        )
        self.holds = SlotHolds(
            self,
            holds or MemoryHoldStore(),
            tenant,
            settings.hold_ttl,
            settings.hold_max_renewals,
        )
        self._fresh: FreshReads[AvailabilityPage, Hold] = FreshReads()

    def now(self) -> datetime:
        return self._clock.now()

    @property
    def tenant(self) -> str:
        return self._tenant

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
        if link_type is LinkType.OTHER:
            raise InputError(
                "type",
                "INVALID_FILTER",
                "OTHER stands for types unknown to the gateway; it filters nothing",
            )
        upstream_after, skip = decode_cursor(after) if after else (None, 0)
        links: list[MeetingLink] = []
        cursors: list[str] = []
        stale = False
        while True:
            read = await self.links_page(
                limit=min(UPSTREAM_PAGE_LIMIT, first + skip + 1),
                after=upstream_after,
                name=name,
                link_type=link_type,
                organizer_user_id=organizer_user_id,
            )
            page, stale = read.value, stale or read.stale
            for index, link in enumerate(page.results[skip:], start=skip):
                if len(links) == first:
                    return LinkConnection(tuple(links), tuple(cursors), True, page.total, stale)
                links.append(link)
                cursors.append(encode_cursor(upstream_after, index + 1))
            if page.next_after is None or len(links) == first:
                more = page.next_after is not None
                return LinkConnection(tuple(links), tuple(cursors), more, page.total, stale)
            upstream_after, skip = page.next_after, 0

    async def link(self, slug: str) -> MeetingLink | None:
        """A link by slug (HubSpot has no such read, so the cached link list is the index)."""
        return (await self.read_link(slug)).value

    async def read_link(self, slug: str) -> Read[MeetingLink | None]:
        """``link``, with whether the link list it came from was stale."""
        return await self._find_link(attrgetter("by_slug"), slug)

    async def link_by_id(self, hubspot_id: str) -> MeetingLink | None:
        return (await self.read_link_by_id(hubspot_id)).value

    async def read_link_by_id(self, hubspot_id: str) -> Read[MeetingLink | None]:
        return await self._find_link(attrgetter("by_id"), hubspot_id)

    async def _find_link(
        self, index: Callable[[LinksPage], Mapping[str, MeetingLink]], key: str
    ) -> Read[MeetingLink | None]:
        """The link under ``key`` in the pages' ``index``, reading the list's pages in order
        until one has it (or the last one does not)."""
        after: str | None = None
        stale = False
        while True:
            read = await self.links_page(limit=UPSTREAM_PAGE_LIMIT, after=after)
            stale = stale or read.stale
            found = index(read.value).get(key)
            if found is not None or read.value.next_after is None:
                return Read(found, stale)
            after = read.value.next_after

    async def link_index(self) -> Cached[LinksPage]:
        """The first page of the link list, which every lookup of a link by slug or id reads
        first: what the readiness probe reads (one upstream call per links TTL), so a ready
        process's first query finds its link cached."""
        return await self.links_page(limit=UPSTREAM_PAGE_LIMIT, after=None)

    async def links_page(
        self,
        *,
        limit: int,
        after: str | None,
        name: str | None = None,
        link_type: LinkType | None = None,
        organizer_user_id: str | None = None,
    ) -> Cached[LinksPage]:
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

        return await self._read(self._links, params, load, ("links",))

    async def _read(
        self,
        resource: Resource[T],
        params: dict[str, str | int | None],
        load: Callable[[], Awaitable[T]],
        tags: Iterable[str],
    ) -> Cached[T]:
        return await self._cache.get(resource, self._tenant, params, load, tags)

    # --- booking info and availability ------------------------------------------------------------

    async def _tags(self, slug: str) -> tuple[str, ...]:
        return _tags_of(slug, await self.link(slug))

    async def booking_info(
        self, slug: str, zone: str = UPSTREAM_ZONE, tags: Iterable[str] | None = None
    ) -> BookingInfoView | None:
        """The link's settings, members and first availability page; None for an unknown slug.

        ``zone`` only shapes the embedded first month page; the graph always reads in UTC so
        that one cached copy serves every client zone."""
        try:
            cached = await self._booking_info(slug, zone, tags)
        except UpstreamNotFound:
            return None
        return BookingInfoView(cached.value, cached.fetched_at, cached.stale)

    async def _booking_info(
        self, slug: str, zone: str, tags: Iterable[str] | None
    ) -> Cached[BookingInfo]:
        return await self._read(
            self._info,
            {"slug": slug, "timezone": zone},
            lambda: self._client.booking_info(slug, zone),
            (*(await self._tags(slug) if tags is None else tags), OFFERED_TIMES),
        )

    async def availability_page(
        self,
        slug: str,
        month_offset: int,
        tags: Iterable[str] | None = None,
        zone: str = UPSTREAM_ZONE,
    ) -> Cached[AvailabilityPage]:
        """One upstream month page (cached); ``zone`` decides where the month begins.

        The first month is the page the booking info embeds, so it is read (and kept) with
        the booking info: one upstream call less for every first read of a link's month."""
        if month_offset == 0:
            info = await self._booking_info(slug, zone, tags)
            return Cached(info.value.first_page, info.fetched_at, info.stale)
        return await self._read(
            self._pages,
            {"slug": slug, "monthOffset": month_offset, "timezone": zone},
            lambda: self._client.availability_page(slug, zone, month_offset),
            (*(await self._tags(slug) if tags is None else tags), OFFERED_TIMES),
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
        now = self._clock.now()
        self._check_range(now, start, end, duration_minutes, first)
        # The link and its cache tags, read once for the booking info, every month page and
        # the holds.
        link = await self.link(slug)
        tags = _tags_of(slug, link)
        # A range with an end needs nothing of the booking info to know its pages: they are
        # read beside it, not after it (a link the list does not know reads none).
        early = (
            asyncio.ensure_future(self._month_pages(slug, tags, now, start or now, end))
            if end is not None and link is not None
            else None
        )
        # The holds too (with Redis a round trip that would otherwise follow the pages).
        holding = asyncio.ensure_future(self.holds.live()) if link is not None else None
        try:
            view = await self.booking_info(slug, tags=tags)
            if view is None:
                return None
            start = start or now
            end = end or self._default_end(view.info, now, start)
            pages = (
                await early
                if early is not None
                else await self._month_pages(slug, tags, now, start, end)
            )
            holds = await holding if holding is not None else []
        finally:
            await _abandon(early)
            await _abandon(holding)
        duration_ms = duration_minutes * 60_000 if duration_minutes is not None else None
        runs, held = self.holds.unheld_runs(
            link,
            window_runs(
                (page.value.availability for page in pages), to_ms(start), to_ms(end), duration_ms
            ),
            holds,
        )
        has_more = bool(pages) and _more_after(pages[-1].value.availability, to_ms(end))
        if first is not None:
            runs, cut = first_of(runs, first)
            has_more = has_more or cut
        reason = None if runs else _why_empty(view.info, now, start, end, duration_ms)
        return AvailabilityWindow(
            runs=tuple(runs),
            durations_ms=view.info.settings.durations_ms,
            has_more=has_more,
            empty_reason=reason,
            fetched_at=min([view.fetched_at, *(page.fetched_at for page in pages)]),
            stale=view.stale or any(page.stale for page in pages),
            held=held,
        )

    def _check_range(
        self,
        now: datetime,
        start: datetime | None,
        end: datetime | None,
        duration_minutes: int | None,
        first: int | None,
    ) -> None:
        """Refuse bad arguments before anything is read."""
        check_duration(duration_minutes)
        most = self._settings.max_slots
        if first is not None and not 0 <= first <= most:
            raise InputError("first", "OUT_OF_RANGE", f"first must be 0..{most}")
        if end is None:
            return
        if end <= (start or now):
            raise InputError("to", "INVALID_RANGE", "to must be after from (and after now)")
        if end - (start or now) > timedelta(days=self._settings.max_availability_days):
            raise InputError(
                "to",
                "RANGE_TOO_LONG",
                f"a range may span at most {self._settings.max_availability_days} days",
            )

    def _default_end(self, info: BookingInfo, now: datetime, start: datetime) -> datetime:
        """The end of the booking window, at least a day after ``start``, within the limit."""
        limit = timedelta(days=self._settings.max_availability_days)
        return min(max(window_end(info.settings, now), start + timedelta(days=1)), start + limit)

    async def _month_pages(
        self, slug: str, tags: tuple[str, ...], now: datetime, start: datetime, end: datetime
    ) -> list[Cached[AvailabilityPage]]:
        """The month pages ``[start, end)`` needs, read concurrently; none for a past range."""
        if end <= now:
            return []
        offsets = month_offsets(now, max(start, now), end)
        return list(await asyncio.gather(*(self.availability_page(slug, o, tags) for o in offsets)))

    async def next_available_slot(
        self, slug: str, *, duration_minutes: int | None, after: datetime | None
    ) -> Read[Slot | None]:
        """The first offered slot at or after ``after``, looking a bounded number of months."""
        check_duration(duration_minutes)
        now = self._clock.now()
        start = max(after or now, now)
        duration_ms = duration_minutes * 60_000 if duration_minutes is not None else None
        link = await self.link(slug)
        tags = _tags_of(slug, link)
        first_offset = month_offsets(now, start, start + timedelta(microseconds=1)).start
        stale = held = False
        for offset in range(first_offset, first_offset + MAX_PAGES_FOR_NEXT_SLOT):
            read = await self.availability_page(slug, offset, tags)
            page, stale = read.value.availability, stale or read.stale
            month = MonthSlots.of(page, duration_ms) if page else NO_SLOTS
            found = list(month.run(to_ms(start), EVERY_MS[1]))
            slots, hid = await self.holds.unheld(link, found)
            held = held or hid
            if slots:
                return Read(slots[0], stale, held)
            if page is None or not page.has_more:
                return Read(None, stale, held)
        return Read(None, stale, held)

    # --- booking --------------------------------------------------------------------------------

    async def book(self, command: BookingCommand) -> BookingOutcome:
        # When the booking began: its fresh check may share a read that began after this.
        began = self._fresh.stamp()
        if command.idempotency_key is None:
            return await self._book_once(command, began)
        outcome: list[BookingOutcome] = []

        async def action(claim: Claim) -> bytes | Pass[bytes]:
            result = await self._book(command, claim, began)
            outcome.append(result)
            if isinstance(result, rules.BookingNotSent):
                # Not a result to replay: nothing was sent, the next try must send it.
                return Pass(encode_outcome(result))
            return encode_outcome(result)

        try:
            async with self._until_deadline() as wait:
                stored = await self._idempotency.run(
                    self._tenant, command.idempotency_key, command.fingerprint(), action
                )
        except IdempotencyInDoubt as exc:
            return BookingOutcomeUnknown(f"{exc.message}; {rules.UNKNOWN_RESOLUTION}")
        except IdempotencyInProgress:
            return _in_progress()
        except IdempotencyUnrecorded as exc:
            return rules.BookingNotSent(f"{exc.message}; the booking was not sent", None)
        except TimeoutError:
            if not wait.expired():
                raise
            return _in_progress()
        if outcome:
            return outcome[0]
        return decode_outcome(stored.value if isinstance(stored, Pass) else stored)

    async def _book_once(self, command: BookingCommand, began: int) -> BookingOutcome:
        """A booking without a key: its answer reaches the cache and the log even when it
        comes too late for its client."""
        mark = SendMark()
        flight = self._flights.start(self._book(command, mark, began))
        try:
            async with self._until_deadline() as wait:
                return await asyncio.shield(flight)
        except TimeoutError:
            if not wait.expired():
                raise
        if not mark.was_sent:
            flight.cancel()
            return rules.BookingNotSent(
                "HubSpot did not answer the booking's checks in time; the booking was not sent",
                None,
            )
        return BookingOutcomeUnknown(rules.UNKNOWN_WITHOUT_KEY)

    def _until_deadline(self) -> asyncio.Timeout:
        """A bound on a client's wait for its booking: the request's upstream deadline."""
        deadline = current_deadline()
        left = self._settings.request_deadline if deadline is None else deadline - time.monotonic()
        return asyncio.timeout(max(0.0, left))

    async def _book(self, command: BookingCommand, claim: Claim, began: int) -> BookingOutcome:
        IN_BOOKING.set(True)  # its reads are in the booking lane; the task ends with it
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
            held = await self.holds.blocking(command)
            if held is not None:
                return held
            if not await self._is_offered_now(command.slug, start_ms, duration_ms, began):
                return _slot_unavailable(command)
            # Known before the write: once HubSpot has booked, nothing may fail the answer.
            stale_tags = (*await self._tags(command.slug), EVERY_BOOKING)
        except (UpstreamAuthError, UpstreamForbidden) as exc:
            await self._refused_credential(exc)
        except UpstreamError as exc:
            return _refusal(command, exc)
        return await self._post(
            command, _request(command, start_ms, duration_ms), stale_tags, claim
        )

    async def _post(
        self,
        command: BookingCommand,
        request: BookingRequest,
        stale_tags: tuple[str, ...],
        claim: Claim,
    ) -> BookingOutcome:
        """Send the booking, once its record is kept; from here on, whatever happens, the
        outcome is HubSpot's answer or unknown."""
        try:
            await claim.sent(self._client.booking_limit + RECORD_GRACE)
        except IdempotencyUnrecorded as exc:
            return rules.BookingNotSent(f"{exc.message}; the booking was not sent", None)
        outcome: BookingOutcome
        try:
            outcome = BookingConfirmed(await self._client.book(request), command.timezone)
        except UpstreamOutcomeUnknown as exc:
            outcome = BookingOutcomeUnknown(f"{exc.message}; {rules.UNKNOWN_RESOLUTION}")
        except (UpstreamAuthError, UpstreamForbidden) as exc:
            await self._refused_credential(exc)
        except UpstreamError as exc:
            return _refusal(command, exc)
        except Exception:
            log.exception("booking on %s failed after it was sent", command.slug)
            outcome = BookingOutcomeUnknown(
                f"the booking was sent and its answer was lost; {rules.UNKNOWN_RESOLUTION}"
            )
        await self._after_booking(command.slug, stale_tags, outcome)
        if command.hold_id is not None and isinstance(outcome, BookingConfirmed):
            await self.holds.consume(command.hold_id)
        return outcome

    async def offer_changed(self, slug: str, reason: Reason) -> None:
        """A hold came or went on ``slug``: kept answers that may show its slot go, here
        and in every replica, whose watched ranges are read again. Cached upstream pages
        stay: holds are applied on reading."""
        try:
            await self._cache.invalidate(self._tenant, (EVERY_BOOKING,), note=reason.note)
        except Exception:
            log.exception("hold on %s changed, but dropping kept answers failed", slug)

    async def upstream_changed(self) -> None:
        """HubSpot says meetings moved outside the gateway: every cached page of offered
        times and every kept answer of the tenant go, everywhere, and watched ranges are read
        again (links themselves did not change)."""
        await self._cache.invalidate(
            self._tenant, (OFFERED_TIMES, EVERY_BOOKING), note=Reason.UPSTREAM_CHANGED.note
        )

    async def earliest_slot(
        self, slugs: Sequence[str], *, duration_minutes: int | None, after: datetime | None
    ) -> Read[tuple[MeetingLink, Slot] | None]:
        """The first unheld slot across ``slugs``' links, each looked up like
        ``next_available_slot``, concurrently; None when no link has one."""
        if len(slugs) > MAX_EARLIEST_SLUGS:
            raise InputError(
                "slugs", "LIST_TOO_LARGE", f"at most {MAX_EARLIEST_SLUGS} slugs may be given"
            )
        check_duration(duration_minutes)
        distinct = list(dict.fromkeys(slugs))
        links = await asyncio.gather(*(self.link(slug) for slug in distinct))
        known = [link for link in links if link is not None]
        found = await asyncio.gather(
            *(
                self.next_available_slot(link.slug, duration_minutes=duration_minutes, after=after)
                for link in known
            )
        )
        stale = any(read.stale for read in found)
        held = any(read.held for read in found)
        offered = [
            (read.value, link) for link, read in zip(known, found, strict=True) if read.value
        ]
        if not offered:
            return Read(None, stale, held)
        slot, link = min(offered, key=lambda pair: (pair[0].start_ms, pair[0].duration_ms))
        return Read((link, slot), stale, held)

    async def _refused_credential(self, error: UpstreamAuthError | UpstreamForbidden) -> NoReturn:
        """Nothing was booked. The credential is refused, not the upstream down: the refusal
        is the caller's answer (no outcome fits it), and a refused token's cached reads go
        (a token that lacks a scope may still read)."""
        if isinstance(error, UpstreamAuthError):
            await self._cache.forget_tenant(self._tenant)
        raise error

    async def _after_booking(
        self, slug: str, stale_tags: tuple[str, ...], outcome: BookingOutcome
    ) -> None:
        """Drop what a made (or maybe made) meeting made stale, and log an answer its client
        no longer waited for."""
        deadline = current_deadline()
        if deadline is not None and time.monotonic() > deadline:
            log.warning(
                "booking on %s answered after its request's deadline: %s",
                slug,
                type(outcome).__name__,
            )
        try:
            await self._cache.invalidate(self._tenant, stale_tags, note=Reason.BOOKED.note)
        except Exception:
            # The meeting is booked; a failed invalidation only leaves cached pages to expire.
            log.exception("booking on %s answered, but its cache invalidation failed", slug)

    async def _is_offered_now(
        self,
        slug: str,
        start_ms: int,
        duration_ms: int,
        began: int | None = None,
        *,
        then_post: bool = True,
    ) -> bool:
        """Read the start's month fresh from the upstream: a cached page may be out of date.

        A booking first holds its two calls (this read and the POST that follows, which the
        client spends as it admits them), so reads and younger bookings leave it their room;
        a slot hold (``then_post=False``) holds the read alone. Checks of one page share a
        read that started after they began (``began``: the booking's stamp, default now;
        ``fresh.py``)."""
        began = self._fresh.stamp() if began is None else began
        now = self._clock.now()
        start = datetime.fromtimestamp(start_ms / 1000, now.tzinfo)
        if start < now:
            return False
        offset = month_offsets(now, start, start + timedelta(microseconds=1)).start
        hold = await self._client.hold(BOOKING_HELD_CALLS if then_post else 1)
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
        if not offered or not then_post:
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


async def _abandon(reads: asyncio.Future[Any] | None) -> None:
    """Stop reads no answer needs any more (the cache's own loads run on, shared); the error of
    one that ended with one is taken, not left for the loop to report."""
    if reads is None:
        return
    if not reads.done():
        reads.cancel()
        await asyncio.gather(reads, return_exceptions=True)
    elif not reads.cancelled():
        reads.exception()


def _tags_of(slug: str, link: MeetingLink | None) -> tuple[str, ...]:
    """The cache tags of a link's data: the link's own, and each member's."""
    members = link.member_user_ids if link else ()
    return (f"link:{slug}", *(f"member:{member}" for member in members))


def check_duration(minutes: int | None) -> None:
    if minutes is not None and not 0 < minutes <= 24 * 60:
        raise InputError("durationMinutes", "OUT_OF_RANGE", "durationMinutes must be 1..1440")


def _in_progress() -> BookingInProgress:
    return BookingInProgress(rules.IN_PROGRESS, rules.IN_PROGRESS_RETRY_SECONDS)


def _request(command: BookingCommand, start_ms: int, duration_ms: int) -> BookingRequest:
    return BookingRequest(
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


def _refusal(command: BookingCommand, exc: UpstreamError) -> BookingOutcome:
    """HubSpot's refusal of the booking (or of a read it needs), as the client's outcome."""
    if isinstance(exc, UpstreamNotFound):
        return MeetingLinkNotFound(command.slug)
    if isinstance(exc, UpstreamValidationError):
        if exc.reason == "MEETING_START_TIME_NOT_VALID":
            return _slot_unavailable(command)
        field = "durationMinutes" if exc.reason == "MEETING_DURATION_NOT_VALID" else "input"
        return InvalidBookingInput((rules.FieldError(field, exc.reason, exc.message),))
    if isinstance(exc, UpstreamUnavailable | UpstreamRateLimited):
        rate_limited = isinstance(exc, UpstreamRateLimited)
        return rules.BookingNotSent(exc.message, exc.retry_after, rate_limited)
    return rules.BookingNotSent(exc.message, None)


def _slot_unavailable(command: BookingCommand) -> SlotUnavailable:
    return SlotUnavailable(
        "that time is no longer offered; read the availability again",
        command.start,
        command.duration_minutes,
    )


def _more_after(last: LinkAvailability | None, end_ms: int) -> bool:
    """Whether slots go on past ``end_ms``: the last page says so or holds a later start."""
    return last is not None and (
        last.has_more
        or any(span.start_ms >= end_ms for spans in last.by_duration.values() for span in spans)
    )


def _why_empty(
    info: BookingInfo, now: datetime, start: datetime, end: datetime, duration_ms: int | None
) -> EmptyReason:
    return empty_reason(
        info,
        now_ms=to_ms(now),
        start_ms=to_ms(start),
        end_ms=to_ms(end),
        duration_ms=duration_ms,
        window_start_ms=to_ms(window_start(info.settings, now)),
        window_end_ms=to_ms(window_end(info.settings, now)),
        earliest_slot_ms=_earliest(info),
    )


def _earliest(info: BookingInfo) -> int | None:
    if info.availability is None:
        return None
    starts = [s.start_ms for spans in info.availability.by_duration.values() for s in spans]
    return min(starts) if starts else None


__all__ = ["EmptyReason", "LinkConnection", "MeetingsService", "Read"]
