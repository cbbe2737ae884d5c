"""Accuracy of region, category and language over the labelled complaints in `tests/data/`.

`devset.jsonl` is what the region and category rules were tuned on, and one of the category
model's training families; `holdout.jsonl` was written before tuning, never tuned on, and is a
held-out family the model never trains on (`intake/corpus.py`), so it gets a slightly lower bar.
These are sanity floors; the measured figures are in `bench/results/category.md`. A failure
prints every miss.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from intake.analyse import analyse

DATA = Path(__file__).parent / "data"
FIELDS = ("region", "category", "language")
BARS = {
    "devset": {"region": 0.95, "category": 0.85, "language": 0.95},
    "holdout": {"region": 0.90, "category": 0.80, "language": 0.90},
}


@cache
def _results(name: str) -> tuple[tuple[dict[str, object], dict[str, object]], ...]:
    lines = (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return tuple((item, analyse(item["text"]).as_json()) for item in items)


def _accuracy(name: str, field: str) -> tuple[float, list[str]]:
    results = _results(name)
    misses = [
        f"  expected {item[field]!s:<16} got {got[field]!s:<16} {item['text'][:110]!r}"
        for item, got in results
        if got[field] != item[field]
    ]
    return 1 - len(misses) / len(results), misses


def test_it_has_a_large_varied_development_set() -> None:
    items = [item for item, _ in _results("devset")]
    assert len(items) >= 200
    assert len({item["region"] for item in items} - {None}) == 20
    assert len({item["category"] for item in items}) == 7
    assert len(_results("holdout")) >= 40


@pytest.mark.parametrize("name", sorted(BARS))
@pytest.mark.parametrize("field", FIELDS)
def test_it_meets_the_accuracy_bar(name: str, field: str) -> None:
    accuracy, misses = _accuracy(name, field)
    bar = BARS[name][field]
    print(f"{name} {field}: {accuracy:.1%} (bar {bar:.0%})")  # noqa: T201
    assert accuracy >= bar, f"{name} {field} {accuracy:.1%} < {bar:.0%}; misses:\n" + "\n".join(
        misses
    )
