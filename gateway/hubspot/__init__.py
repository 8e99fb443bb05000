"""The upstream: HubSpot's Meetings v3 API (or the embedded sandbox) over httpx."""
