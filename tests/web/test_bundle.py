"""The built bundle ships in the package: every file of ``dist/`` is package data, and none of
the Node tree (sources, node_modules) is taken for a Python package."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from gateway.web.bundle import DIST

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_file_of_the_bundle_is_package_data() -> None:
    globs = SETUPTOOLS["package-data"]["gateway.web.dist"]
    files = sorted(path.name for path in DIST.iterdir())
    assert {"book.js", "book.css", "graphiql.js", "docs.js", "persisted-documents.json"} <= set(
        files
    )
    assert [name for name in files if not any(fnmatch.fnmatch(name, g) for g in globs)] == []


def test_the_node_tree_is_no_package() -> None:
    # What setuptools' namespace discovery would take: every folder, less the excluded.
    excluded = SETUPTOOLS["packages"]["find"]["exclude"]
    web = DIST.parent
    folders = [
        "gateway.web." + ".".join(path.relative_to(web).parts)
        for path in web.rglob("*")
        if path.is_dir() and "__pycache__" not in path.parts
    ]
    kept = [name for name in folders if not any(fnmatch.fnmatch(name, g) for g in excluded)]
    assert kept == ["gateway.web.dist"]
