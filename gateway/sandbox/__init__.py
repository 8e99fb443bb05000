"""An embedded, faithful stand-in for HubSpot's Meetings (scheduler) API.

``create_sandbox_app(SandboxConfig(...))`` returns a Starlette app serving HubSpot's paths,
JSON field names, millisecond units and error bodies, with the same behaviour and state at
every API version's root (``{api}`` is ``/scheduler/v3/meetings``,
``/scheduler/2026-03/meetings`` or ``/scheduler/2026-09/meetings``):

* ``GET  {api}/meeting-links`` - ``limit`` (default 10, 1-100), ``after`` (opaque cursor),
  ``name`` (case-insensitive substring), ``organizerUserId``, ``type``
* ``GET  {api}/meeting-links/book/{slug}?timezone=[&monthOffset=]``
* ``GET  {api}/meeting-links/book/availability-page/{slug}?timezone=&monthOffset=``
* ``POST {api}/meeting-links/book[?timezone=]``

Slugs may hold ``/``, raw or percent-encoded as ``%2F``. ``timezone`` must be a name of the
installed IANA database (``zoneinfo.available_timezones()``). The members, links and their
rules come from a fixtures file (``fixtures.py`` describes the format); the availability rules
are in ``engine.py`` and the booking checks in ``booking.py``.

Test controls, not part of HubSpot's API, never counted, never faulted, never authenticated:

* ``GET /_sandbox/calls`` - calls received per operation, whatever their outcome or version:
  ``{"list_links": 3, "booking_info": 1, "availability": 2, "book": 1}``.
* ``POST /_sandbox/reset`` - back to the state the app was created with: bookings cleared,
  counters zeroed, faults and clock as configured.
* ``PUT /_sandbox/faults`` with ``{"latencyMs": 250, "errorRate": 0.1, "rateLimit": 100}`` -
  change fault knobs; absent keys stay, ``"rateLimit": null`` lifts the limit. Answers the knobs.
* ``PUT /_sandbox/clock`` with ``{"now": "2026-03-06T14:00:00Z"}`` - freeze the clock at that
  instant (``null`` returns to real time). "Today" for fixture busy times moves with it.
* ``GET /_sandbox/webhooks`` - the signed webhook deliveries of bookings (``webhooks.py``):
  ``{"delivered": 1, "attempts": 2, "failed": 0}``.
* ``PUT /_sandbox/tokens`` with ``{"revoked": ["pat-..."]}`` - revoke those bearer tokens (as a
  HubSpot admin would): every call with one is answered 401 from now on, whatever
  ``valid_tokens`` says. The list replaces the previous one; ``[]`` revokes none.

Faults apply in this order: latency, the rate limit (429 with ``Retry-After``; the
``X-HubSpot-RateLimit-*`` headers go on every API response while a limit is set), auth (401
with a revoked token, or without a valid bearer token when ``valid_tokens`` is set; 403
``MISSING_SCOPES`` for a read-only token on a booking), then ``error_rate`` (a 500, 502, 503
or 504 with HubSpot's error body).
"""

from gateway.sandbox.app import create_sandbox_app
from gateway.sandbox.config import SandboxConfig

__all__ = ["SandboxConfig", "create_sandbox_app"]
