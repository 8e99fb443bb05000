"""The import direction of DESIGN's picture is import-linter's contracts in pyproject.toml
(``lint-imports`` runs them in the test command); here, that they hold, and that they would
catch an upward import written in any form."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

UPWARD = {
    "absolute": "import gateway.app\n",
    "from": "from gateway.app import create_app\n",
    "package": "from gateway import app\n",
    "relative": "from .. import app\n",
    "relative module": "from ..app import create_app\n",
    "in a function": "def probe() -> object:\n    from gateway.app import create_app\n\n"
    "    return create_app\n",
}


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "gateway",
        tmp_path / "gateway",
        ignore=shutil.ignore_patterns("node_modules", "dist", "src"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold(tmp_path: Path) -> None:
    result = lint(copy_of_the_package(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("form", sorted(UPWARD))
def test_an_upward_import_in_any_form_breaks_a_contract(tmp_path: Path, form: str) -> None:
    tree = copy_of_the_package(tmp_path)
    keys = tree / "gateway" / "cache" / "keys.py"
    keys.write_text(keys.read_text() + "\n" + UPWARD[form])
    result = lint(tree)
    assert result.returncode == 1, result.stdout
    assert "gateway.cache.keys -> gateway.app" in result.stdout


def test_the_sandbox_may_import_nothing_of_the_gateway(tmp_path: Path) -> None:
    tree = copy_of_the_package(tmp_path)
    engine = tree / "gateway" / "sandbox" / "engine.py"
    engine.write_text(engine.read_text() + "\nfrom gateway import errors\n")
    result = lint(tree)
    assert result.returncode == 1, result.stdout
    assert "The sandbox stands alone BROKEN" in result.stdout


def test_the_web_pages_stand_beside_graphql_not_above_it(tmp_path: Path) -> None:
    tree = copy_of_the_package(tmp_path)
    pages = tree / "gateway" / "web" / "pages.py"
    pages.write_text(pages.read_text() + "\nfrom gateway.graphql import schema\n")
    result = lint(tree)
    assert result.returncode == 1, result.stdout
    assert "gateway.web.pages -> gateway.graphql" in result.stdout
