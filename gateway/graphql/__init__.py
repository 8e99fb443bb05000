"""The GraphQL schema frontends query: links, booking info and availability as one graph."""
