"""The paths of HubSpot's four meetings-link operations, for every supported API version.

Every version (``settings.API_VERSIONS``) serves the same operations with the same schemas
under ``/scheduler/{version}/meetings``: only this prefix tells them apart. The client calls
the paths of the deployment's ``HUBSPOT_API_VERSION``; the REST surface serves every
version's; metrics and traces name an upstream path's endpoint and version from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from gateway.settings import API_VERSIONS

OTHER = "other"


@dataclass(frozen=True, slots=True)
class ApiPaths:
    """One version's paths; ``{slug}`` marks where a (percent-encoded) slug goes."""

    version: str

    @property
    def root(self) -> str:
        return f"/scheduler/{self.version}/meetings"

    @property
    def links(self) -> str:
        return f"{self.root}/meeting-links"

    @property
    def book(self) -> str:
        return f"{self.links}/book"

    @property
    def booking_info(self) -> str:
        return f"{self.book}/{{slug}}"

    @property
    def availability(self) -> str:
        return f"{self.book}/availability-page/{{slug}}"


@cache
def api_paths(version: str) -> ApiPaths:
    if version not in API_VERSIONS:
        raise ValueError(f"unsupported HubSpot API version {version!r}")
    return ApiPaths(version)


ALL_PATHS = tuple(api_paths(version) for version in API_VERSIONS)

_OPERATION = re.compile(
    r"^/scheduler/(?P<version>[^/]+)/meetings/meeting-links"
    r"(?:(?P<book>/book)(?:(?P<availability>/availability-page)?/(?P<slug>.+))?)?$"
)


def upstream_operation(method: str, path: str) -> tuple[str, str]:
    """``(endpoint, version)`` of an upstream request path, endpoint named as ``HubSpotClient``
    names it; ``("other", "other")`` for any other path (bounded names: paths carry slugs)."""
    match = _OPERATION.match(path)
    if match is None or match["version"] not in API_VERSIONS:
        return OTHER, OTHER
    version = match["version"]
    if match["availability"]:
        return "availability", version
    if match["slug"]:
        return "booking_info", version
    if match["book"]:
        return ("book" if method == "POST" else OTHER), version
    return "list_links", version
