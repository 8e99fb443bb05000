"""The sandbox's mutable state: bookings, call counts, fault knobs and the clock.

One ``Store`` lives in each app made by ``create_sandbox_app``; nothing is shared between apps.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from gateway.sandbox.config import SandboxConfig
from gateway.sandbox.engine import Calendar, to_ms
from gateway.sandbox.faults import Faults, RateWindow
from gateway.sandbox.fixtures import Fixtures, Link, Member

OPERATIONS = ("list_links", "booking_info", "availability", "book")


class Store:
    def __init__(self, fixtures: Fixtures, config: SandboxConfig) -> None:
        self.fixtures = fixtures
        self.config = config
        # Held around a booking's check and commit, so one slot is never booked twice.
        self.booking_lock = asyncio.Lock()
        self.rate_window = RateWindow()
        self.faults = Faults()
        self.calls: dict[str, int] = {}
        self.booked: dict[str, list[tuple[int, int]]] = {}
        self.frozen_now: datetime | None = None
        self.random = random.Random()
        self.revoked: frozenset[str] = frozenset()
        self.reset()

    def reset(self) -> None:
        """Back to the state the app was created with."""
        self.booked = {user_id: [] for user_id in self.fixtures.members}
        self.calls = dict.fromkeys(OPERATIONS, 0)
        self.faults = Faults(
            latency_ms=self.config.latency_ms,
            error_rate=self.config.error_rate,
            rate_limit=self.config.rate_limit,
        )
        self.frozen_now = self.config.now
        self.random = random.Random(self.config.seed)
        self.revoked = frozenset()
        self.rate_window.clear()

    def now_ms(self) -> int:
        return to_ms(self.frozen_now if self.frozen_now is not None else datetime.now(UTC))

    def link(self, slug: str) -> Link | None:
        return self.fixtures.by_slug.get(slug)

    def members(self, link: Link) -> list[Member]:
        return [self.fixtures.members[user_id] for user_id in link.member_user_ids]

    def busy_times(self, member: Member, now_ms: int) -> list[tuple[int, int]]:
        """The fixture's commitments at ``now_ms`` plus every booking the member hosts."""
        return sorted(member.busy_times(now_ms) + self.booked[member.user_id])

    def calendars(self, link: Link, now_ms: int) -> list[Calendar]:
        return [
            Calendar(member.user_id, member.zone, member.hours, self.busy_times(member, now_ms))
            for member in self.members(link)
        ]

    def book(self, user_ids: list[str], start_ms: int, end_ms: int) -> None:
        for user_id in user_ids:
            self.booked[user_id].append((start_ms, end_ms))
