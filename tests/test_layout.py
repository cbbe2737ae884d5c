"""The layout runs one way: no package imports one above it (design.md, "Layout")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Each package may import only the ones listed (and itself); the composition root and the demo
# sit on top and may import anything.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "models": {"core"},
    "intake": {"core", "models"},
    "mail_ingest": {"core", "models", "intake"},
    "bot": {"core", "models", "intake"},
    "notify": {"core", "models", "intake", "bot"},
    "sandbox": {"core"},
    "audit": {"core", "models", "intake", "notify"},
    "web": {"core", "models", "intake", "notify"},
}
OURS = {*ALLOWED, "shagym", "demo", "web", "audit", "tests", "bench"}


def imported_packages(package: str) -> dict[str, set[Path]]:
    found: dict[str, set[Path]] = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in OURS and top != package:
                    found.setdefault(top, set()).add(path.relative_to(ROOT))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_it_imports_only_packages_below(package):
    wrong = {
        top: sorted(map(str, paths))
        for top, paths in imported_packages(package).items()
        if top not in ALLOWED[package]
    }
    assert wrong == {}


def test_it_keeps_the_cli_and_runner_out_of_the_base():
    assert not (ROOT / "shagym" / "settings.py").exists()
    assert not list((ROOT / "shagym").glob("demo*.py"))
