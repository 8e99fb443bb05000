"""The import direction of DESIGN's picture, checked on the source itself.

cli > app > graphql | rest > meetings > cache | hubspot > settings | errors | clock;
the edge (body reader, refusals) below them all but errors; the sandbox imports nothing else
of the gateway.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gateway"

RANK = {
    "cli": 5,
    "app": 4,
    "graphql": 3,
    "rest": 3,
    "meetings": 2,
    "cache": 1,
    "hubspot": 1,
    "settings": 0,
    # The HTTP edge's body reader and refusals: a leaf, so that every layer (logs, metrics,
    # tracing, access, graphql, app) may read what it parsed.
    "edge": -1,
    "errors": -2,
    "clock": 0,
    "breaker": 0,
    # Observability: logs is a leaf anyone may use; tracing wraps cache and upstream parts;
    # metrics reads their stats and uses both; only app and cli compose them.
    "logs": 0,
    "tracing": 2,
    "metrics": 3,
    # The public surface's door (keys, pass-through tokens, body size) and pass-through's
    # per-tenant parts: composed by app.
    "access": 2,
    "tenants": 0,
}
# Who may import whom sideways at the same rank: nobody.
MAY_MOUNT_SANDBOX = {"app", "cli"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "gateway" or name.startswith("gateway.")}


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    module = "gateway." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    own = layer_of(module)
    for target in imports(path):
        other = layer_of(target)
        if other == own or other == "":
            continue
        if own == "sandbox":
            pytest.fail(f"{module} imports {target}: the sandbox stands alone")
        if other == "sandbox":
            assert own in MAY_MOUNT_SANDBOX, f"{module} imports the sandbox ({target})"
            continue
        assert own in RANK, f"{module} belongs to no known layer"
        assert other in RANK, f"{module} imports {target}, of no known layer"
        assert RANK[other] < RANK[own], f"{module} imports {target}, which is not below it"
