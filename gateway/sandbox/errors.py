"""HubSpot's error bodies, and the exception that carries one out of a handler.

Every error the sandbox answers with has HubSpot's shape::

    {"status": "error", "message": ..., "correlationId": <uuid4>, "category": ...,
     "subCategory"?: ..., "errors"?: [{"message": ..., "code"?: ..., "in"?: <field>}],
     "context"?: {...}}
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

VALIDATION_ERROR = "VALIDATION_ERROR"
OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"
SCHEDULING = "MeetingsBookingSchedulingError"
BOOKING_VALIDATION = "MeetingsBookingValidationError"


@dataclass(frozen=True, slots=True)
class Detail:
    """One entry of ``errors``: what is wrong, with which field, under which code."""

    message: str
    code: str | None = None
    field: str | None = None
    context: Mapping[str, Sequence[str]] | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            body["code"] = self.code
        if self.field is not None:
            body["in"] = self.field
        if self.context is not None:
            body["context"] = {name: list(values) for name, values in self.context.items()}
        return body


# eq=False keeps exceptions hashable and compared by identity, as Python expects.
@dataclass(eq=False)
class SandboxError(Exception):
    """An error answer: raised anywhere in a handler, rendered by the app."""

    status: int
    message: str
    category: str
    sub_category: str | None = None
    details: Sequence[Detail] = ()
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.category, self.sub_category, self.details)


def error_body(
    message: str,
    category: str,
    sub_category: str | None = None,
    details: Sequence[Detail] = (),
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
    }
    if sub_category is not None:
        body["subCategory"] = sub_category
    if details:
        body["errors"] = [detail.body() for detail in details]
    return body


def invalid(message: str, field: str, code: str) -> SandboxError:
    """A 400 VALIDATION_ERROR about one request field or parameter."""
    return SandboxError(400, message, VALIDATION_ERROR, details=[Detail(message, code, field)])


def booking_rejected(
    message: str, family: str, code: str, field: str | None = None
) -> SandboxError:
    """A 400 from the booking rules; ``code`` goes in subCategory (prefixed) and errors[0]."""
    return SandboxError(
        400,
        message,
        VALIDATION_ERROR,
        sub_category=f"{family}.{code}",
        details=[Detail(message, code, field)],
    )


def slug_not_found(slug: str) -> SandboxError:
    return SandboxError(
        404,
        "slug does not exist",
        OBJECT_NOT_FOUND,
        details=[Detail(f"slug does not exist: {slug}", "SLUG_NOT_FOUND", "slug")],
    )
