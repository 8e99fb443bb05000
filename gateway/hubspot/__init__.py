"""The upstream: HubSpot's Meetings API at one API version (or the embedded sandbox) over httpx."""
