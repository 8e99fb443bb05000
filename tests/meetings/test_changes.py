"""Why slots moved, as notes on the cache's messages, and what moved."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.meetings.availability import Slot
from gateway.meetings.changes import Reason, difference, slot_set

AT = datetime(2026, 3, 2, 14, tzinfo=UTC)


def test_every_reason_reads_back_from_its_note() -> None:
    for reason in Reason:
        assert Reason.of_note(reason.note) is reason
    assert Reason.of_note("slots:SOMETHING_NEWER") is None
    assert Reason.of_note("BOOKED") is None


def test_a_difference_names_what_left_and_joined_in_order() -> None:
    a, b, c = Slot(0, 30, 30), Slot(15, 45, 30), Slot(30, 60, 30)
    change = difference(slot_set([c, a, b]), slot_set([b]), Reason.BOOKED, "x", AT)
    assert change is not None
    assert (change.removed, change.added) == ((a, c), ())
    back = difference(slot_set([b]), slot_set([c, b, a]), Reason.RELEASED, "x", AT)
    assert back is not None
    assert (back.removed, back.added, back.reason) == ((), (a, c), Reason.RELEASED)
    assert difference(slot_set([a]), slot_set([a]), Reason.HELD, "x", AT) is None
