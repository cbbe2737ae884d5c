"""Nothing the project runs — tests, benchmarks, packages, the Makefile — reads outside the
repository: a fresh clone with nothing beside it must pass `make test` (issue 12, item 6)."""

from __future__ import annotations

import re
from pathlib import Path

from mail_fixtures import CORPUS

from tests.conftest import ROOT

# Spelled in pieces so that this file does not name what it looks for.
_SHARED = "shared"
NEEDLES = re.compile(
    rb"\.\./" + _SHARED.encode()
    + rb"|/work/" + _SHARED.encode()
    # the same path built by parts: a parent joined with it, or ".." then it as os.path.join args
    + rb"|\.parent\s*/\s*[\"']" + _SHARED.encode()
    + rb"|[\"']\.\.[\"']\s*,\s*[\"']" + _SHARED.encode()
)
PACKAGES = ["core", "shagym", "demo", "bot", "mail_ingest", "intake", "models", "notify", "sandbox"]
SCANNED = ["tests", "bench", "templates", "config", *PACKAGES]
FILES = ["Makefile", "pyproject.toml", "alembic.ini", ".env.example"]
SKIP = {"__pycache__", ".mypy_cache", ".ruff_cache"}


def project_files() -> list[Path]:
    found = [ROOT / name for name in FILES if (ROOT / name).is_file()]
    for folder in SCANNED + ["web", "audit"]:
        base = ROOT / folder
        if base.is_dir():
            found += [
                p for p in base.rglob("*") if p.is_file() and not SKIP.intersection(p.parts)
            ]
    return found


def test_it_finds_no_reference_outside_the_repository() -> None:
    files = project_files()
    assert len(files) > 300  # the scan really covers the tree
    offenders = [
        str(path.relative_to(ROOT)) for path in files if NEEDLES.search(path.read_bytes())
    ]
    assert offenders == []


def test_it_would_catch_each_way_of_naming_the_outside_folder() -> None:
    for text in (
        "../" + _SHARED + "/corpus",
        "/work/" + _SHARED + "/docs",
        'ROOT.parent / "' + _SHARED + '" / "corpus"',
        'os.path.join(ROOT, "..", "' + _SHARED + '")',
    ):
        assert NEEDLES.search(text.encode()), text
    assert not NEEDLES.search(b"contact_shared; shared transactions; ROOT / 'tests'")


def test_it_keeps_the_mail_corpus_inside_the_repository() -> None:
    assert CORPUS.resolve().is_relative_to(ROOT.resolve())
    assert (CORPUS / "imap_tools" / "LICENSE").is_file()
    assert len(list(CORPUS.rglob("*.eml"))) >= 113
