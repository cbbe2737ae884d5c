"""The labelled complaints corpus and its split by family.

The corpus is `intake/data/complaints/<family>.jsonl` (see the README there) plus the older
`tests/data/devset.jsonl` and `holdout.jsonl` when present (a source checkout), read as the
families `devset` and `holdout`. Each family is one independent writer's set of texts.

The split is by whole families, so that the test part measures texts whose writer, phrasing and
places the model never saw: families are grouped by the prefix of their name (`ru_`, `kk_`,
`en_`…, the writers' language or script); a family is a test family when the SHA-256 of its name
falls in one bucket of four (so adding a family never moves another), and a group of two or
more families that got none gives its family with the lowest hash. A group of one family is
training only. `devset` (what the rules were tuned on) is always training, `holdout` (written
before any tuning, never tuned on) always test. Nothing here reads the texts to decide.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPLAINTS = ROOT / "intake" / "data" / "complaints"
LEGACY = {"devset": ROOT / "tests" / "data" / "devset.jsonl",
          "holdout": ROOT / "tests" / "data" / "holdout.jsonl"}  # fmt: skip
ALWAYS = {"devset": "train", "holdout": "test"}
FIELDS = ("text", "category", "language", "region")


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    category: str
    language: str
    region: str | None
    family: str
    register: str | None = None


def read_family(path: Path, family: str | None = None) -> list[Item]:
    """The items of one JSON-lines file; `family` overrides the lines' own (legacy files)."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        items.append(
            Item(
                text=row["text"],
                category=row["category"],
                language=row["language"],
                region=row.get("region"),
                family=family or row.get("family") or path.stem,
                register=row.get("register"),
            )
        )
    return items


def load_corpus(folder: Path = COMPLAINTS, legacy: bool = True) -> list[Item]:
    """Every family in the folder (sorted by name), then devset and holdout if present."""
    items: list[Item] = []
    for path in sorted(folder.glob("*.jsonl")):
        items += read_family(path, path.stem)
    if legacy:
        for family, path in LEGACY.items():
            if path.is_file():
                items += read_family(path, family)
    return items


def _bucket(family: str) -> int:
    return int(hashlib.sha256(family.encode("utf-8")).hexdigest()[:8], 16) % 4


def held_out_families(families: Iterable[str]) -> frozenset[str]:
    """The held-out families among these (see the module docstring for the rule)."""
    groups: dict[str, list[str]] = defaultdict(list)
    chosen = set()
    for family in set(families):
        if family in ALWAYS:
            if ALWAYS[family] == "test":
                chosen.add(family)
            continue
        groups[family.split("_", 1)[0]].append(family)
    for members in groups.values():
        picked = {f for f in members if _bucket(f) == 0}
        if not picked and len(members) > 1:
            picked = {min(members, key=lambda f: hashlib.sha256(f.encode("utf-8")).hexdigest())}
        chosen |= picked
    return frozenset(chosen)


def split(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """(training items, test items), whole families on each side."""
    held_out = held_out_families(item.family for item in items)
    train = [item for item in items if item.family not in held_out]
    test = [item for item in items if item.family in held_out]
    return train, test
