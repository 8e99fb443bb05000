"""meetings-gateway: GraphQL and REST over HubSpot's Meetings API v3."""

__version__ = "0.1.0"
