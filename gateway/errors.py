"""The gateway's exception hierarchy.

Every error the gateway raises on purpose is a ``GatewayError``; anything else is a bug and is
masked before it reaches a client.

    GatewayError
    ├── SettingsError ............ a bad environment value, raised at start
    ├── InputError ............... a client sent something invalid; no upstream call was made
    ├── UpstreamError ............ HubSpot (or the sandbox) answered badly or not at all
    │   ├── UpstreamNotFound ........... 404, e.g. "slug does not exist"
    │   ├── UpstreamValidationError .... 400, carries HubSpot's subCategory
    │   ├── UpstreamAuthError .......... 401, the credential is not accepted
    │   ├── UpstreamForbidden .......... 403, the credential lacks a scope
    │   ├── UpstreamRateLimited ........ 429, carries the retry-after hint
    │   ├── UpstreamUnavailable ........ 5xx, timeouts, refused connections, open breaker
    │   │   └── UpstreamOutcomeUnknown . a write reached HubSpot, its answer never did
    │   └── UpstreamContractError ...... a 200 whose JSON does not match the spec
    ├── IdempotencyError ......... what an idempotency key's record says of its request
    │   ├── IdempotencyConflict ........ the key was used for another request
    │   ├── IdempotencyInProgress ...... its request is still running elsewhere
    │   ├── IdempotencyInDoubt ......... it was sent and its answer never recorded
    │   └── IdempotencyUnrecorded ...... its record could not be kept: not sent
    └── StreamError .............. why a live availability stream is refused or ends
        ├── TooManyStreams ............. the process serves its most open streams already
        ├── ShuttingDown ............... the process is ending its streams
        └── SlowConsumer ............... the client fell too far behind and was dropped
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    code = "GATEWAY_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SettingsError(GatewayError):
    """An environment variable holds a value the gateway cannot use."""

    code = "BAD_SETTING"

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class InputError(GatewayError):
    """A client's input is invalid; ``field`` names the offending argument."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class UpstreamError(GatewayError):
    """The upstream answered with an error or could not be reached."""

    code = "UPSTREAM_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        category: str | None = None,
        sub_category: str | None = None,
        correlation_id: str | None = None,
        retry_after: float | None = None,
        codes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # the codes of HubSpot's ``errors[]`` entries, e.g. ("INVALID_EMAIL",)
        self.codes = codes
        self.status = status
        self.category = category
        self.sub_category = sub_category
        self.correlation_id = correlation_id


class UpstreamNotFound(UpstreamError):
    code = "NOT_FOUND"


class UpstreamValidationError(UpstreamError):
    code = "UPSTREAM_VALIDATION"

    @property
    def reason(self) -> str:
        """HubSpot's subCategory without its prefix (``MEETING_START_TIME_NOT_VALID``), else the
        first ``errors[].code``, else the category."""
        if self.sub_category:
            return self.sub_category.rsplit(".", 1)[-1]
        return self.codes[0] if self.codes else (self.category or "")


class UpstreamAuthError(UpstreamError):
    code = "UPSTREAM_AUTH"


class UpstreamForbidden(UpstreamError):
    code = "UPSTREAM_FORBIDDEN"


class UpstreamRateLimited(UpstreamError):
    code = "UPSTREAM_RATE_LIMITED"


class UpstreamUnavailable(UpstreamError):
    code = "UPSTREAM_UNAVAILABLE"


class UpstreamOutcomeUnknown(UpstreamUnavailable):
    """A write left for HubSpot and no answer that says what it did came back (a timeout, a
    broken connection, a 5xx, an unreadable 200): it may or may not have happened, so it must
    not be sent again."""

    code = "UPSTREAM_OUTCOME_UNKNOWN"


class UpstreamContractError(UpstreamError):
    code = "UPSTREAM_CONTRACT"


class IdempotencyError(GatewayError):
    """What an idempotency key's record says, or could not say, about its request."""


class IdempotencyConflict(IdempotencyError):
    """The idempotency key was used before for a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyInProgress(IdempotencyError):
    """A request with this idempotency key is still running elsewhere; retry later."""

    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


class IdempotencyInDoubt(IdempotencyError):
    """The key's request was sent and its answer was never recorded: it is not sent again."""

    code = "IDEMPOTENCY_KEY_IN_DOUBT"


class IdempotencyUnrecorded(IdempotencyError):
    """The key's record could not be written, so its request must not be sent."""

    code = "IDEMPOTENCY_UNRECORDED"


class StreamError(GatewayError):
    """A live availability stream is refused, or ends, for this reason."""


class TooManyStreams(StreamError):
    code = "TOO_MANY_STREAMS"


class ShuttingDown(StreamError):
    code = "SHUTTING_DOWN"


class SlowConsumer(StreamError):
    """The client read its changes more slowly than they came; they are not buffered for it."""

    code = "SLOW_CONSUMER"
