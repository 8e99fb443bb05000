"""meetings-gateway: GraphQL and REST over HubSpot's Meetings (scheduler) API."""

__version__ = "0.1.0"
