"""The built bundle (``dist/``, package data) and the HTML shell every page of it is served in."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse

DIST = Path(__file__).resolve().parent / "dist"
ASSETS = "/web"

# An operation the booking page's script sends: a template literal holding one document.
_SENT = re.compile(r"`(\s*(?:query|mutation|subscription) \w+[^`]*)`")


def sent_documents() -> list[str]:
    """The documents the booking page sends, each as its code generator printed it (the
    shipped operations, laid out otherwise than their files); none without a built bundle."""
    script = DIST / "book.js"
    return _SENT.findall(script.read_text()) if script.is_file() else []


# Only the gateway's own origin: scripts, styles, fetches and sockets. Fonts and icons the
# bundle inlines as data: URLs. The booking page may be framed by any host page (it is made
# to be embedded); GraphiQL and the docs only by the gateway's own pages.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
OWN_FRAMES = _POLICY.format(ancestors="'self'")
ANY_FRAME = _POLICY.format(ancestors="*")


def _script_json(data: Any) -> str:
    # Inside <script type="application/json"> only "</" could end the element early.
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")


def shell(entry: str, title: str, data: Any, *, policy: str = OWN_FRAMES) -> HTMLResponse:
    """The HTML that loads ``entry``'s script and style, handing it ``data`` as JSON."""
    page = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(title)}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{ASSETS}/{entry}.css">
  <script type="module" src="{ASSETS}/{entry}.js"></script>
</head>
<body>
  <div id="root"></div>
  <script type="application/json" id="page-data">{_script_json(data)}</script>
</body>
</html>
"""
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )
