"""HubSpotClient: typed calls to the four Meetings endpoints over one shared httpx client.

The ``httpx.AsyncClient`` is made once by the app's lifespan (base URL, bearer token, timeouts,
or an ASGI transport onto the embedded sandbox) and injected here; this module speaks the
protocol (the paths of the deployment's API version from ``paths.py``, parameters, payload
parsing, the mapping of HubSpot's errors onto the ``GatewayError`` tree) and keeps every call
inside the upstream's limits:

- the request's deadline (``deadline.py``) bounds every attempt, wait and backoff;
- the open breaker (``breaker.py``) refuses at once with ``UpstreamUnavailable``;
- the rate budget (``budget.py``) admits the call, or it waits briefly, or it is refused with
  ``UpstreamRateLimited``, so the cache can answer stale data;
- a read is tried at most three times, with jittered backoff, within the retry budget
  (``retry.py``), after a 5xx, a timeout, a broken connection or a 429 whose ``Retry-After``
  fits in the deadline;
- a booking is sent again only when the upstream provably never received it (the connection
  was never made); any other failure raises ``UpstreamOutcomeUnknown``;
- a booking is bounded by its own deadline (``booking_limit``: the connect plus the read
  timeout), never by the request's: once sent, it runs to HubSpot's answer or its timeout,
  however soon the client that asked for it stops waiting.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import orjson
from redis.asyncio import Redis

from gateway.breaker import Breaker
from gateway.deadline import current_deadline
from gateway.errors import (
    UpstreamAuthError,
    UpstreamContractError,
    UpstreamError,
    UpstreamForbidden,
    UpstreamNotFound,
    UpstreamOutcomeUnknown,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from gateway.hubspot import exchanges
from gateway.hubspot.budget import (
    BOOKING_HOLD,
    IN_BOOKING,
    BudgetShape,
    Hold,
    Kind,
    RateBudget,
    SharedBudget,
    WindowBudget,
)
from gateway.hubspot.models import (
    AvailabilityPage,
    BookingInfo,
    BookingRequest,
    BookingResponse,
    LinksPage,
    LinkType,
)
from gateway.hubspot.paths import ApiPaths, api_paths
from gateway.hubspot.retry import MAX_ATTEMPTS, Backoff, RetryBudget
from gateway.hubspot.stats import UpstreamStats
from gateway.settings import API_VERSIONS, Settings

T = TypeVar("T")


class _NoCookies(CookieJar):
    """A jar that keeps nothing: HubSpot's API needs no cookie, and the client is every
    tenant's, so a cookie kept from one answer (a CDN's, say) would go out with every later
    call, other tenants' included."""

    def set_cookie(self, cookie: Cookie) -> None:
        return None

    def extract_cookies(self, response: object, request: object) -> None:
        return None


def build_http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one long-lived upstream client: real HubSpot, or ``transport`` (the sandbox)."""
    headers = {"Accept": "application/json", "User-Agent": "meetings-gateway"}
    if settings.hubspot_access_token:
        headers["Authorization"] = f"Bearer {settings.hubspot_access_token}"
    http = httpx.AsyncClient(
        base_url=settings.hubspot_base_url if transport is None else "http://sandbox.invalid",
        headers=headers,
        cookies=_NoCookies(),
        transport=transport,
        timeout=httpx.Timeout(
            settings.upstream_read_timeout, connect=settings.upstream_connect_timeout
        ),
        limits=httpx.Limits(
            max_connections=settings.upstream_max_connections,
            max_keepalive_connections=max(1, settings.upstream_max_connections // 2),
        ),
    )
    exchanges.instrument(http)
    return http


def slug_path(template: str, slug: str) -> str:
    # Team slugs hold "/", which must travel as %2F inside one path segment.
    return template.format(slug=quote(slug, safe=""))


def build_hubspot_client(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    redis: Redis | None = None,
    tenant: str = "",
) -> HubSpotClient:
    """The client with its budget (shared through ``redis`` when given), breaker and retries."""
    stats = UpstreamStats()
    return HubSpotClient(
        http,
        version=settings.hubspot_api_version,
        budget=build_budget(settings, redis, tenant, stats),
        breaker=Breaker(settings.upstream_breaker_failures, settings.upstream_breaker_cooldown),
        retry_budget=RetryBudget(settings.upstream_retry_ratio),
        stats=stats,
        deadline=settings.request_deadline,
        budget_wait=settings.upstream_budget_wait,
    )


def build_budget(
    settings: Settings, redis: Redis | None, tenant: str, stats: UpstreamStats
) -> RateBudget:
    """One tenant's rate budget, shared by every process through ``redis`` when given."""
    shape = BudgetShape(settings.upstream_rate_limit, settings.upstream_booking_reserve)
    local = WindowBudget(shape)
    return local if redis is None else SharedBudget(redis, tenant, local, stats=stats)


class HubSpotClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        version: str = API_VERSIONS[-1],
        budget: RateBudget | None = None,
        breaker: Breaker | None = None,
        retry_budget: RetryBudget | None = None,
        backoff: Backoff | None = None,
        stats: UpstreamStats | None = None,
        deadline: float = 5.0,
        budget_wait: float = 1.0,
        timer: Callable[[], float] = time.monotonic,
        draw: Callable[[], float] = random.random,
        token: str | None = None,
    ) -> None:
        """``deadline`` bounds a call made outside any request (no ``current_deadline()``);
        ``budget_wait`` is the longest a call waits for room in the rate budget; ``token``,
        when given, is sent instead of the http client's own credential; ``version`` is the
        HubSpot API version every call goes to."""
        self.paths: ApiPaths = api_paths(version)
        self._headers = {"Authorization": f"Bearer {token}"} if token else None
        self._http = http
        self._budget = budget or WindowBudget(BudgetShape(100))
        self._breaker = breaker or Breaker()
        self._retry_budget = retry_budget or RetryBudget()
        self._backoff = backoff or Backoff()
        self._stats = stats or UpstreamStats()
        self._stats.version = version
        self._deadline = deadline
        self._budget_wait = budget_wait
        self._timer = timer
        self._draw = draw
        # Each attempt is bounded by these even where httpx cannot apply them (an ASGI transport).
        timeout = http.timeout
        self._attempt_limit = (timeout.connect or 0.0) + (timeout.read or 0.0) or None

    def with_token(self, token: str, budget: RateBudget) -> HubSpotClient:
        """This client calling with a client's own token (pass-through mode) and that tenant's
        budget; the connection pool, breaker, retry budget and stats stay shared."""
        return HubSpotClient(
            self._http,
            version=self.paths.version,
            budget=budget,
            breaker=self._breaker,
            retry_budget=self._retry_budget,
            backoff=self._backoff,
            stats=self._stats,
            deadline=self._deadline,
            budget_wait=self._budget_wait,
            timer=self._timer,
            draw=self._draw,
            token=token,
        )

    @property
    def booking_limit(self) -> float:
        """Seconds a booking call may take from its start to HubSpot's answer or timeout."""
        return self._attempt_limit or self._deadline

    @property
    def budget(self) -> RateBudget:
        return self._budget

    async def hold(self, calls: int) -> Hold:
        """Keep ``calls`` of the rate budget for a booking in progress, out of reads' and
        younger bookings' reach, until they are spent or the request's deadline passes."""
        deadline = current_deadline() or self._timer() + self._deadline
        return await self._budget.hold(calls, max(0.001, deadline - self._timer()))

    async def release(self, hold: Hold, calls: int | None = None) -> None:
        """Give back held calls the booking will not make (all of them when None)."""
        await self._budget.release(hold, calls)

    @property
    def stats(self) -> UpstreamStats:
        self._stats.breaker = self._breaker.state
        self._stats.breaker_opens = self._breaker.opens
        return self._stats

    async def list_links(
        self,
        *,
        limit: int,
        after: str | None = None,
        name: str | None = None,
        organizer_user_id: str | None = None,
        link_type: LinkType | None = None,
    ) -> LinksPage:
        params = {
            "limit": str(limit),
            "after": after,
            "name": name,
            "organizerUserId": organizer_user_id,
            "type": link_type.value if link_type else None,
        }
        return await self._get("list_links", self.paths.links, params, LinksPage.parse)

    # ``kind="booking"`` spends the budget's booking reserve: for a read a booking cannot go
    # without, such as the check that its slot is still offered.
    async def booking_info(self, slug: str, timezone: str, *, kind: Kind = "read") -> BookingInfo:
        path = slug_path(self.paths.booking_info, slug)
        params = {"timezone": timezone}
        return await self._get("booking_info", path, params, BookingInfo.parse, kind)

    async def availability_page(
        self, slug: str, timezone: str, month_offset: int, *, kind: Kind = "read"
    ) -> AvailabilityPage:
        path = slug_path(self.paths.availability, slug)
        params = {"timezone": timezone, "monthOffset": str(month_offset)}
        return await self._get("availability", path, params, AvailabilityPage.parse, kind)

    async def book(self, request: BookingRequest) -> BookingResponse:
        response = await self._call(
            "book",
            "POST",
            self.paths.book,
            params={"timezone": request.timezone},
            body=request.to_wire(),
            deadline=self._timer() + self.booking_limit,
        )
        try:
            return _parse(response, BookingResponse.parse)
        except UpstreamContractError as exc:
            # HubSpot said 200: the meeting is made, but this answer cannot say which.
            raise UpstreamOutcomeUnknown(
                f"HubSpot accepted the booking but its answer is unreadable ({exc.message}); "
                "its outcome is unknown"
            ) from exc

    async def _get(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, str | None],
        parse: Callable[[object], T],
        kind: Kind = "read",
    ) -> T:
        query = {key: value for key, value in params.items() if value is not None}
        return _parse(await self._call(endpoint, "GET", path, params=query, kind=kind), parse)

    async def _call(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str],
        body: Any = None,
        kind: Kind = "read",
        deadline: float | None = None,
    ) -> httpx.Response:
        """The upstream's answer, 200 or an error status that is not worth another try;
        ``deadline`` (``time.monotonic``) replaces the request's. Each attempt passes the
        breaker and the budget, then ``_attempt`` says how it went and ``_retry_delay`` whether
        and when the next one goes."""
        booking = method == "POST"
        if booking:
            kind = "booking"
        deadline = deadline or current_deadline() or self._timer() + self._deadline
        attempt = 0
        while True:
            attempt += 1
            await self._admit(kind, booking, deadline)
            if attempt == 1:
                self._retry_budget.deposit()
            outcome = await self._attempt(endpoint, method, path, params, body, deadline)
            if isinstance(outcome, httpx.Response):
                return outcome
            if booking and not outcome.resendable:
                raise outcome.error
            await asyncio.sleep(self._retry_delay(attempt, outcome, deadline))

    async def _attempt(
        self,
        endpoint: str,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Any,
        deadline: float,
    ) -> httpx.Response | _Failure:
        """One exchange: the answer worth returning, or the failure, with the breaker told."""
        booking = method == "POST"
        try:
            response = await self._send(method, path, params, body, deadline)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # No connection, so no byte of the request left: safe to send again, even a booking.
            self._count(endpoint, "connect-error")
            self._breaker.record_failure()
            return _Failure(_unreachable(exc, booking), resendable=True)
        except (httpx.HTTPError, _AttemptExpired) as exc:
            timed_out = isinstance(exc, httpx.TimeoutException | _AttemptExpired)
            self._count(endpoint, "timeout" if timed_out else "transport-error")
            self._breaker.record_failure()
            if isinstance(exc, _AttemptExpired) and exc.deadline:
                self._stats.deadline_exceeded += 1
            return _Failure(_lost(exc, booking), resendable=not booking)
        except BaseException:
            self._breaker.release()  # cancelled: no verdict on the upstream's health
            raise
        return await self._answered(endpoint, response, booking)

    async def _answered(
        self, endpoint: str, response: httpx.Response, booking: bool
    ) -> httpx.Response | _Failure:
        """An answer: returned unless it is a 429 or a 5xx, which the budget and breaker learn
        from (a booking's is never resent: a 5xx leaves its outcome unknown)."""
        self._count(endpoint, str(response.status_code))
        self._stats.note_rate_limit(response.headers)
        await self._budget.observe(response.headers)
        status = response.status_code
        if status < 500:
            self._breaker.record_success()  # the upstream is up, even if it disagrees
        if status != 429 and status < 500:
            return response
        error = upstream_error(response)
        retry_after = None
        if status == 429:
            retry_after = error.retry_after
            await self._budget.pause(
                retry_after if retry_after is not None else self._budget.shape.window
            )
        else:
            self._breaker.record_failure()
        if booking:
            raise _booking_unknown(error) if status >= 500 else error
        return _Failure(error, resendable=True, retry_after=retry_after)

    def _retry_delay(self, attempt: int, failure: _Failure, deadline: float) -> float:
        """Seconds until the next attempt; raises the failure's error when there is none."""
        delay = self._backoff.delay(attempt, self._draw)
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        if not failure.resendable or attempt >= MAX_ATTEMPTS or self._timer() + delay >= deadline:
            raise failure.error
        if failure.retry_after is not None and delay > self._budget_wait:
            raise failure.error  # a wait that long is better spent answering stale data
        if not self._retry_budget.try_withdraw():
            self._stats.retries_refused += 1
            raise failure.error
        self._stats.retries += 1
        return delay

    async def _admit(self, kind: Kind, booking: bool, deadline: float) -> None:
        """Pass the breaker and the rate budget, waiting briefly for the budget if need be.

        Inside a booking (``IN_BOOKING``) every call is in the booking lane, and spends the
        booking's hold once it has one (``BOOKING_HOLD``); a refusal gives the hold back, since
        the booking stops there."""
        hold = BOOKING_HOLD.get()
        if hold is not None or IN_BOOKING.get():
            kind = "booking"
        not_sent = "; the booking was not sent" if kind == "booking" else ""
        try:
            if not self._breaker.allow():
                self._stats.breaker_rejections += 1
                raise UpstreamUnavailable(
                    f"HubSpot is failing; calls to it are paused{not_sent}",
                    retry_after=self._breaker.retry_after(),
                )
            await self._wait_for_budget(kind, hold, deadline, not_sent)
        except BaseException:
            if hold is not None:
                await self._budget.release(hold)
            raise

    async def _wait_for_budget(
        self, kind: Kind, hold: Hold | None, deadline: float, not_sent: str
    ) -> None:
        waited = 0.0
        try:
            while True:
                wait = await self._budget.acquire(kind, hold)
                if wait <= 0:
                    if waited:
                        self._stats.budget_waits += 1
                    return
                left = deadline - self._timer()
                if waited + wait > self._budget_wait or wait >= left:
                    self._stats.budget_refusals += 1
                    raise UpstreamRateLimited(
                        f"the gateway's budget of calls to HubSpot is spent for now{not_sent}",
                        retry_after=round(wait, 3),
                    )
                waited += wait
                await asyncio.sleep(wait)
        except BaseException:
            self._breaker.release()  # if this was the probe, it was never sent
            raise

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        body: Any,
        deadline: float,
    ) -> httpx.Response:
        left = deadline - self._timer()
        if left <= 0:
            raise _AttemptExpired(deadline=True)
        limit = left if self._attempt_limit is None else min(left, self._attempt_limit)
        timeout = self._http.timeout
        per_call = httpx.Timeout(
            min(timeout.read or left, left), connect=min(timeout.connect or left, left)
        )
        try:
            async with asyncio.timeout(limit) as guard:
                return await self._http.request(
                    method, path, params=params, json=body, timeout=per_call, headers=self._headers
                )
        except TimeoutError as exc:
            if not guard.expired():
                raise
            raise _AttemptExpired(deadline=limit == left) from exc

    def _count(self, endpoint: str, outcome: str) -> None:
        self._stats.calls[(endpoint, outcome)] += 1


@dataclass(frozen=True, slots=True)
class _Failure:
    """An attempt that failed: its error, whether sending again is safe, HubSpot's wait."""

    error: UpstreamError
    resendable: bool
    retry_after: float | None = None


class _AttemptExpired(Exception):
    """An attempt outlived its bound; ``deadline`` says it was the request's deadline."""

    def __init__(self, *, deadline: bool) -> None:
        super().__init__("deadline" if deadline else "attempt timeout")
        self.deadline = deadline


def _unreachable(exc: httpx.HTTPError, booking: bool) -> UpstreamUnavailable:
    not_sent = "; the booking was not sent" if booking else ""
    return UpstreamUnavailable(f"HubSpot could not be reached: {type(exc).__name__}{not_sent}")


def _lost(exc: Exception, booking: bool) -> UpstreamUnavailable:
    if isinstance(exc, _AttemptExpired) and exc.deadline:
        what = "did not answer in time" if booking else "did not answer within the deadline"
    elif isinstance(exc, httpx.TimeoutException | _AttemptExpired):
        what = f"timed out: {type(exc).__name__}"
    else:
        what = f"broke off the exchange: {type(exc).__name__}"
    if booking:
        return UpstreamOutcomeUnknown(
            f"HubSpot {what} after the booking was sent; its outcome is unknown"
        )
    return UpstreamUnavailable(f"HubSpot {what}")


def _booking_unknown(error: UpstreamError) -> UpstreamOutcomeUnknown:
    return UpstreamOutcomeUnknown(
        f"HubSpot answered {error.status} to the booking ({error.message}); its outcome is unknown",
        status=error.status,
        category=error.category,
        sub_category=error.sub_category,
        correlation_id=error.correlation_id,
        retry_after=error.retry_after,
        codes=error.codes,
    )


def _parse(response: httpx.Response, parse: Callable[[object], T]) -> T:
    if response.status_code != 200:
        raise upstream_error(response)
    try:
        # orjson: month pages run to hundreds of KB, decoded on every cold read.
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise UpstreamContractError("upstream answered 200 with a body that is not JSON") from exc
    return parse(payload)


def upstream_error(response: httpx.Response) -> UpstreamError:
    """Map a non-200 HubSpot answer onto the error tree, keeping HubSpot's own words."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        body = {}
    errors = body.get("errors")
    if not isinstance(errors, list):
        errors = []
    codes = tuple(
        str(item["code"]) for item in errors if isinstance(item, dict) and item.get("code")
    )
    status = response.status_code
    kind = _ERROR_BY_STATUS.get(status, UpstreamUnavailable if status >= 500 else UpstreamError)
    return kind(
        str(body.get("message") or f"HubSpot answered {status}"),
        status=status,
        category=_opt_str(body.get("category") or body.get("errorType")),
        sub_category=_opt_str(body.get("subCategory")),
        correlation_id=_opt_str(body.get("correlationId")),
        retry_after=retry_after(response),
        codes=codes,
    )


_ERROR_BY_STATUS: dict[int, type[UpstreamError]] = {
    400: UpstreamValidationError,
    401: UpstreamAuthError,
    403: UpstreamForbidden,
    404: UpstreamNotFound,
    429: UpstreamRateLimited,
}


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: ``Retry-After``, else HubSpot's rate-limit interval when it is spent."""
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            return None
    interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    if interval and response.headers.get("X-HubSpot-RateLimit-Remaining") == "0":
        try:
            return int(interval) / 1000
        except ValueError:
            return None
    return None


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
