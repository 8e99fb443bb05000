"""The browser side: the booking page, GraphiQL's page, the REST docs page and their bundle.

    routes()                        # /book/{slug}, /docs, /web/* (the built bundle)
    GraphiQLPage(operations_dir)    # what a browser's GET of /graphql gets

The pages are React (TypeScript, built by Vite from ``src/``) and load nothing but the
gateway's own files, under a Content-Security-Policy that allows only the gateway's origin.
The bundle in ``dist/`` is built from the sources and committed, so installing the package
needs no Node; the test command rebuilds it and fails on any difference.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from gateway.web.bundle import DIST
from gateway.web.graphiql import GraphiQLPage
from gateway.web.pages import booking_page, docs_page

__all__ = ["GraphiQLPage", "routes"]


def routes() -> list[BaseRoute]:
    return [
        Route("/book/{slug:path}", booking_page, methods=["GET"]),
        Route("/docs", docs_page, methods=["GET"]),
        Mount("/web", StaticFiles(directory=DIST), name="web"),
    ]
