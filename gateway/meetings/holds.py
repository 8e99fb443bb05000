"""Slot holds: a visitor keeps a slot for a while, excluding everyone else who books or holds
through the gateway (HubSpot itself has no hold; none ever reaches it).

A hold covers what a booking of its slot could take (``scopes``): the link itself, plus the
organizer for a personal link, every member for a group link, and, for a round-robin link,
the one member free at that time when only one is. A held slot is hidden from every link
sharing a covered member (a round-robin link too), on every read (availability, next slot,
REST pages, earliest slot), at read time: cached pages are shared by every client, and the
hold must end on its own.

Whole GraphQL responses that hid a held slot are never kept (they would outlive the hold);
a grant or release drops the kept responses that may show the slot (``EVERY_BOOKING``).
When the hold store cannot be reached, holds are neither granted nor enforced: reads show
every offered slot and bookings go ahead on HubSpot's own check.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gateway.cache import (
    HoldDraft,
    HoldStore,
    LiveHold,
    RenewalRefused,
    StoreUnavailable,
)
from gateway.errors import InputError, UpstreamError, UpstreamNotFound
from gateway.hubspot.models import BookingInfo, LinkType, MeetingLink
from gateway.meetings import booking as rules
from gateway.meetings.availability import Slot, SlotRun, without
from gateway.meetings.changes import Reason
from gateway.meetings.slugs import check_slug
from gateway.meetings.timeline import to_ms

if TYPE_CHECKING:
    from gateway.meetings.service import MeetingsService

log = logging.getLogger("gateway.holds")

STORE_DOWN = "slot holds cannot be kept right now; book directly or try again later"


@dataclass(frozen=True, slots=True)
class HoldCommand:
    slug: str
    start: datetime
    duration_minutes: int
    timezone: str
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Hold:
    id: str
    slug: str
    start_ms: int
    end_ms: int
    timezone: str
    scopes: tuple[str, ...]
    expires_at: datetime
    renewals: int

    @property
    def duration_minutes(self) -> int:
        return (self.end_ms - self.start_ms) // 60_000


@dataclass(frozen=True, slots=True)
class SlotHeld:
    hold: Hold


@dataclass(frozen=True, slots=True)
class InvalidHoldInput:
    errors: tuple[rules.FieldError, ...]


@dataclass(frozen=True, slots=True)
class HoldReleased:
    id: str


@dataclass(frozen=True, slots=True)
class HoldNotFound:
    id: str
    message: str


@dataclass(frozen=True, slots=True)
class HoldRenewalLimitReached:
    hold: Hold
    max_renewals: int


HoldOutcome = (
    SlotHeld
    | rules.SlotUnavailable
    | InvalidHoldInput
    | rules.MeetingLinkNotFound
    | rules.BookingNotSent
)


def members(link: MeetingLink) -> tuple[str, ...]:
    return link.member_user_ids or (link.organizer_user_id,)


def link_scope(slug: str) -> str:
    return f"link:{slug}"


def member_scope(user_id: str) -> str:
    return f"member:{user_id}"


def hold_scopes(link: MeetingLink, info: BookingInfo, start_ms: int, end_ms: int) -> list[str]:
    """What a booking of ``[start_ms, end_ms)`` on ``link`` could take."""
    scopes = [link_scope(link.slug)]
    if link.type is LinkType.ROUND_ROBIN_CALENDAR:
        busy = {
            member.user.user_id
            for member in info.busy_times
            if any(b.start_ms < end_ms and start_ms < b.end_ms for b in member.busy)
        }
        free = [user for user in members(link) if user not in busy]
        return [*scopes, member_scope(free[0])] if len(free) == 1 else scopes
    return scopes + [member_scope(user) for user in members(link)]


def hides(holds: Sequence[Hold], link: MeetingLink, start_ms: int, end_ms: int) -> list[Hold]:
    """The holds that take ``[start_ms, end_ms)`` away from ``link`` (empty: it is free).

    A round-robin slot goes too when one of its members is held: which members HubSpot
    counts as free at a time (working hours as well as calendars) is not known here, and a
    hold must never lose its member to another booking."""
    own = link_scope(link.slug)
    wanted = {member_scope(user) for user in members(link)}
    return [
        h
        for h in holds
        if h.start_ms < end_ms
        and start_ms < h.end_ms
        and (own in h.scopes or wanted & set(h.scopes))
    ]


class SlotHolds:
    """The holds of one tenant, over the service that reads links and availability."""

    def __init__(
        self, service: MeetingsService, store: HoldStore, tenant: str, ttl: float, renewals: int
    ) -> None:
        self._service = service
        self._store = store
        self._tenant = tenant
        self._ttl_ms = round(ttl * 1000)
        self._max_renewals = renewals
        # One fresh availability read per slot for concurrent holds on it in this process.
        self._checks: dict[tuple[str, int, int], asyncio.Task[bool]] = {}

    @property
    def stats(self) -> Any:
        return self._store.stats

    # --- reads ------------------------------------------------------------------------------

    async def live(self, *, fresh: bool = False) -> list[Hold]:
        """Every live hold of the tenant; none when the store is out of reach."""
        try:
            found = await self._store.active(self._tenant, fresh=fresh)
        except StoreUnavailable as exc:
            log.warning("slot holds unreadable, reads show every slot: %s", exc)
            return []
        return [self._hold(live) for live in found]

    async def unheld(
        self, link: MeetingLink | None, slots: Iterable[Slot]
    ) -> tuple[list[Slot], bool]:
        """The slots no live hold takes from ``link``, and whether any was taken (an answer
        that hid one must not outlive the hold)."""
        kept = list(slots)
        if link is None or not kept:
            return kept, False
        holds = await self.live()
        if not holds:
            return kept, False
        free = [s for s in kept if not hides(holds, link, s.start_ms, s.end_ms)]
        return free, len(free) != len(kept)

    def unheld_runs(
        self, link: MeetingLink | None, runs: list[SlotRun], holds: list[Hold]
    ) -> tuple[list[SlotRun], bool]:
        """``unheld`` of the slots of ``runs``, as runs, given the ``live()`` holds."""
        if link is None or not runs or not holds:
            return runs, False
        return without(runs, lambda s: not hides(holds, link, s.start_ms, s.end_ms))

    async def unheld_wire(self, link: MeetingLink | None, wire: dict[str, Any]) -> dict[str, Any]:
        """A HubSpot availability page (or a booking info, which embeds the first month's)
        without the slots holds take from ``link``."""
        page = wire.get("linkAvailability")
        if link is None or not isinstance(page, dict):
            return wire
        holds = await self.live()
        if not holds:
            return wire
        by_duration = {
            name: {**item, "availabilities": _free(holds, link, item.get("availabilities", ()))}
            for name, item in page.get("linkAvailabilityByDuration", {}).items()
        }
        return {**wire, "linkAvailability": {**page, "linkAvailabilityByDuration": by_duration}}

    # --- grant, renew, release --------------------------------------------------------------

    async def hold(self, command: HoldCommand) -> HoldOutcome:
        try:
            if len(command.idempotency_key or "") > rules.MAX_TEXT:
                message = f"idempotencyKey is over {rules.MAX_TEXT} characters"
                raise InputError("idempotencyKey", "TOO_LONG", message)
            check_slug(command.slug)
            _check_minutes(command.duration_minutes)
        except InputError as exc:
            return InvalidHoldInput((rules.FieldError(exc.field, exc.code, exc.message),))
        hold_id = self._id_for(command.idempotency_key)
        try:
            if command.idempotency_key is not None:
                again = next((h for h in await self._live_strict() if h.id == hold_id), None)
                if again is not None:
                    return _retried(command, again)
            return await self._grant(command, hold_id)
        except StoreUnavailable as exc:
            log.warning("hold on %s refused, the hold store is out of reach: %s", command.slug, exc)
            return rules.BookingNotSent(STORE_DOWN, None)
        except UpstreamNotFound:
            return rules.MeetingLinkNotFound(command.slug)
        except UpstreamError as exc:
            return rules.BookingNotSent(exc.message, exc.retry_after)

    async def _grant(self, command: HoldCommand, hold_id: str) -> HoldOutcome:
        link = await self._service.link(command.slug)
        view = await self._service.booking_info(command.slug) if link else None
        if link is None or view is None:
            return rules.MeetingLinkNotFound(command.slug)
        start_ms, duration_ms = to_ms(command.start), command.duration_minutes * 60_000
        if duration_ms not in view.info.settings.durations_ms:
            return _duration_refused(command, view.info)
        end_ms = start_ms + duration_ms
        # Held by someone else already: refused without asking HubSpot.
        if hides(await self._live_strict(), link, start_ms, end_ms):
            return self._refused(command)
        if not await self._offered(command.slug, start_ms, duration_ms):
            return self._refused(command)
        scopes = tuple(hold_scopes(link, view.info, start_ms, end_ms))
        record = _record(hold_id, command, start_ms, end_ms, scopes)
        draft = HoldDraft(hold_id, record, start_ms, end_ms, scopes)
        remaining = await self._store.grant(self._tenant, draft, self._ttl_ms)
        if remaining is None:
            return self._refused(command)
        self._store.stats.granted += 1
        log.info("hold granted on %s (%d scopes)", command.slug, len(scopes))
        await self._service.offer_changed(command.slug, Reason.HELD)
        return SlotHeld(self._hold(LiveHold(record, remaining, 0)))

    async def renew(self, hold_id: str) -> SlotHeld | HoldNotFound | HoldRenewalLimitReached:
        try:
            found = await self._store.renew(self._tenant, hold_id, self._ttl_ms, self._max_renewals)
        except StoreUnavailable:
            return HoldNotFound(hold_id, STORE_DOWN)
        if found is None:
            return _not_found(hold_id)
        if isinstance(found, RenewalRefused):
            return HoldRenewalLimitReached(self._hold(found.hold), self._max_renewals)
        return SlotHeld(self._hold(found))

    async def release(self, hold_id: str) -> HoldReleased | HoldNotFound:
        try:
            record = await self._store.release(self._tenant, hold_id)
        except StoreUnavailable:
            return HoldNotFound(hold_id, STORE_DOWN)
        if record is None:
            return _not_found(hold_id)
        self._store.stats.released += 1
        log.info("hold released on %s", json.loads(record)["slug"])
        await self._service.offer_changed(json.loads(record)["slug"], Reason.RELEASED)
        return HoldReleased(hold_id)

    # --- bookings ---------------------------------------------------------------------------

    async def blocking(self, command: rules.BookingCommand) -> rules.BookingOutcome | None:
        """Why a booking may not take its slot because of holds; None when it may."""
        link = await self._service.link(command.slug)
        if link is None:
            return None
        start_ms = to_ms(command.start)
        end_ms = start_ms + command.duration_minutes * 60_000
        holds = await self.live(fresh=True)
        others = [h for h in hides(holds, link, start_ms, end_ms) if h.id != command.hold_id]
        if not others:
            return None
        if command.hold_id is not None and all(h.id != command.hold_id for h in holds):
            return rules.HoldExpired(
                "the hold expired and the time is held by someone else since; "
                "read the availability again"
            )
        return rules.SlotUnavailable(
            "that time is held for another booking; read the availability again",
            command.start,
            command.duration_minutes,
        )

    async def consume(self, hold_id: str) -> None:
        """The booking of a held slot is made: its hold goes (it never fails the booking)."""
        try:
            if await self._store.release(self._tenant, hold_id) is not None:
                self._store.stats.consumed += 1
                log.info("hold consumed by its booking")
        except StoreUnavailable as exc:
            log.warning("a booked hold could not be dropped; it expires by itself: %s", exc)

    # --- parts ------------------------------------------------------------------------------

    async def _live_strict(self) -> list[Hold]:
        return [self._hold(live) for live in await self._store.active(self._tenant)]

    async def _offered(self, slug: str, start_ms: int, duration_ms: int) -> bool:
        key = (slug, start_ms, duration_ms)
        task = self._checks.get(key)
        if task is None:
            task = asyncio.ensure_future(
                self._service._is_offered_now(slug, start_ms, duration_ms, then_post=False)
            )
            self._checks[key] = task
            task.add_done_callback(lambda _: self._checks.pop(key, None))
        return await asyncio.shield(task)

    def _refused(self, command: HoldCommand) -> rules.SlotUnavailable:
        self._store.stats.refused += 1
        return rules.SlotUnavailable(
            "that time is not offered or is held already; read the availability again",
            command.start,
            command.duration_minutes,
        )

    def _id_for(self, idempotency_key: str | None) -> str:
        if idempotency_key is None:
            return secrets.token_urlsafe(18)
        digest = hashlib.sha256(f"{self._tenant}\0{idempotency_key}".encode()).digest()
        return "k" + digest[:18].hex()

    def _hold(self, live: LiveHold) -> Hold:
        data = json.loads(live.record)
        now = self._service.now()
        return Hold(
            id=data["id"],
            slug=data["slug"],
            start_ms=data["start"],
            end_ms=data["end"],
            timezone=data["tz"],
            scopes=tuple(data["scopes"]),
            expires_at=now + timedelta(milliseconds=live.remaining_ms),
            renewals=live.renewals,
        )


def public_message(outcome: rules.BookingNotSent, *, production: bool) -> str:
    """What a client is told of a hold or booking not made for now: in production not the
    upstream's own words (the log keeps them), but the hold store's."""
    if production and outcome.message != STORE_DOWN:
        return rules.UNAVAILABLE_MESSAGE
    return outcome.message


def _free(holds: Sequence[Hold], link: MeetingLink, spans: Iterable[Any]) -> list[Any]:
    return [
        span
        for span in spans
        if not hides(holds, link, int(span["startMillisUtc"]), int(span["endMillisUtc"]))
    ]


def _record(
    hold_id: str, command: HoldCommand, start_ms: int, end_ms: int, scopes: tuple[str, ...]
) -> bytes:
    payload = {
        "id": hold_id,
        "slug": command.slug,
        "start": start_ms,
        "end": end_ms,
        "tz": command.timezone,
        "scopes": list(scopes),
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _check_minutes(minutes: int) -> None:
    if not 0 < minutes <= 24 * 60:
        raise InputError("durationMinutes", "OUT_OF_RANGE", "durationMinutes must be 1..1440")


def _duration_refused(command: HoldCommand, info: BookingInfo) -> InvalidHoldInput:
    offered = ", ".join(str(ms // 60_000) for ms in info.settings.durations_ms)
    message = f"{command.duration_minutes} minutes is not offered (offered: {offered})"
    return InvalidHoldInput(
        (rules.FieldError("durationMinutes", "MEETING_DURATION_NOT_VALID", message),)
    )


def _retried(command: HoldCommand, hold: Hold) -> SlotHeld | InvalidHoldInput:
    """A retry gets its hold; the same key for another slot is refused."""
    start_ms = to_ms(command.start)
    if (hold.slug, hold.start_ms, hold.duration_minutes) == (
        command.slug,
        start_ms,
        command.duration_minutes,
    ):
        return SlotHeld(hold)
    message = "this idempotencyKey holds another slot; a new key makes a new hold"
    return InvalidHoldInput(
        (rules.FieldError("idempotencyKey", "IDEMPOTENCY_KEY_REUSED", message),)
    )


def _not_found(hold_id: str) -> HoldNotFound:
    return HoldNotFound(hold_id, "no live hold has this id: it expired, was released or booked")
