"""The nominative lemmas of the gazetteer's names, computed once and shipped with it.

Parsing the ~700 Cyrillic words of the gazetteer's names with pymorphy3 took about 0.3 s at
every start: half of a one-text `shagym analyse`. They depend only on the gazetteer file and
the dictionary's version, so `intake/data/name_lemmas.json` keeps them under a fingerprint of
both. A mismatch (an edited gazetteer, another dictionary) falls back to parsing; `make model`
or `python -m intake.name_lemmas` writes the file again, and a test fails while it is stale.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path

import pymorphy3_dicts_ru  # the parser loads it anyway; importlib.metadata costs 13 ms

LEMMAS_FILE = "name_lemmas.json"
GAZETTEER_FILE = "kz_admin.csv"


def fingerprint() -> dict[str, str]:
    gazetteer = (resources.files("intake") / "data" / GAZETTEER_FILE).read_bytes()
    return {
        "gazetteer_sha256": hashlib.sha256(gazetteer).hexdigest(),
        "dictionary": pymorphy3_dicts_ru.__version__,
    }


@cache
def shipped() -> dict[str, list[str]] | None:
    """word (lower case) → its folded nominative lemmas, or None when the file is stale."""
    try:
        data = json.loads((resources.files("intake") / "data" / LEMMAS_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None
    return data["lemmas"] if data.get("fingerprint") == fingerprint() else None


def current() -> dict[str, list[str]]:
    """The lemmas computed now, from the gazetteer and the installed dictionary."""
    from intake import gazetteer

    return {
        word: sorted(gazetteer.parse_nominative(word)) for word in sorted(gazetteer.name_words())
    }


def write(path: Path | None = None) -> Path:
    target = path or Path(str(resources.files("intake") / "data" / LEMMAS_FILE))
    document = {"fingerprint": fingerprint(), "lemmas": current()}
    target.write_text(json.dumps(document, ensure_ascii=False, indent=0) + "\n", "utf-8")
    shipped.cache_clear()
    return target


if __name__ == "__main__":
    print(write())  # noqa: T201
