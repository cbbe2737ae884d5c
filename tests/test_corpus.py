"""The labelled complaints corpus (`intake/data/complaints/`): every line well-formed, and the
composition the issue asks for (≥ 800 texts, ≥ 50 % Russian, ≥ 30 % Kazakh, some English)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from intake.category import CATEGORIES
from intake.corpus import COMPLAINTS, load_corpus
from intake.gazetteer import load

FILES = sorted(COMPLAINTS.glob("*.jsonl"))
REGIONS = set(load().regions)
REGISTERS = {"formal", "short", "voice", "typos", "neutral", "long"}
KEYS = {"text", "category", "language", "region", "family", "register"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_it_has_only_well_formed_lines(path: Path) -> None:
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{number}: not JSON ({exc.msg})")
            continue
        if not isinstance(row, dict) or set(row) != KEYS:
            problems.append(f"{number}: keys {sorted(row) if isinstance(row, dict) else row!r}")
            continue
        if not isinstance(row["text"], str) or not row["text"].strip():
            problems.append(f"{number}: empty text")
        if row["category"] not in CATEGORIES:
            problems.append(f"{number}: category {row['category']!r}")
        if row["language"] not in ("ru", "kk", "en"):
            problems.append(f"{number}: language {row['language']!r}")
        if row["region"] is not None and row["region"] not in REGIONS:
            problems.append(f"{number}: region {row['region']!r}")
        if row["family"] != path.stem:
            problems.append(f"{number}: family {row['family']!r} in {path.name}")
        if row["register"] not in REGISTERS:
            problems.append(f"{number}: register {row['register']!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_it_covers_every_category_in_each_family(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {row["category"] for row in rows} == set(CATEGORIES)


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_it_has_no_text_twice() -> None:
    counts = Counter(_normal(item.text) for item in load_corpus())
    assert [text for text, n in counts.items() if n > 1] == []


def test_it_has_the_size_and_languages_the_issue_asks_for() -> None:
    items = load_corpus()
    languages = Counter(item.language for item in items)
    assert len(items) >= 800, f"{len(items)} texts"
    assert languages["ru"] / len(items) >= 0.5, languages
    assert languages["kk"] / len(items) >= 0.3, languages
    assert languages["en"] >= 10, languages
