"""Arguments more than one field takes, each with its description: a slot range asked of
``availability`` is watched by ``availabilityChanged`` under the same words.

    time_zone: RenderZone, from_: RangeStart = None, duration_minutes: SlotLength = None
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gateway.graphql.scalars import TimeZone

RenderZone = Annotated[TimeZone, strawberry.argument(description="Render instants in this zone.")]
RangeStart = Annotated[
    datetime | None, strawberry.argument(name="from", description="Range start; default now.")
]
SlotLength = Annotated[int | None, strawberry.argument(description="Only slots of this length.")]

# The ends default differently (the booking window's end; the longest watched range, which
# ``availabilityChanged`` states itself), so each says its own default after the shared words.
_RANGE_END = "Range end (exclusive)"
WindowEnd = Annotated[
    datetime | None, strawberry.argument(description=f"{_RANGE_END}; default the window's end.")
]
WatchedEnd = Annotated[datetime | None, strawberry.argument(description=f"{_RANGE_END}.")]
