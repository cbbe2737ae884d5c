"""The gazetteer's lookup structures, built once and shipped with it.

Building the index of names (`intake.gazetteer.build`: ~1,700 aliases into ~4,000 key
sequences) took about 70 ms of every start, a sixth of a one-text `shagym analyse`. It depends
only on the gazetteer file, the code that folds and indexes names, and the name lemmas, so
`intake/data/gazetteer_index.json` keeps the built entries under a fingerprint of all of them.
A mismatch falls back to building; `make model` or `python -m intake.gazetteer_index` writes
the file again, and a test fails while it is stale.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

from intake import gazetteer, name_lemmas
from intake.gazetteer import Gazetteer, NameEntry, Place

INDEX_FILE = "gazetteer_index.json.gz"
# What `build` reads: the data, and the code whose change would change the index.
SOURCES = ("data/kz_admin.csv", "data/name_lemmas.json", "gazetteer.py", "translit.py")


def fingerprint() -> dict[str, str]:
    package = resources.files("intake")
    digest = hashlib.sha256()
    for source in SOURCES:
        digest.update((package / source).read_bytes())
    return {"sources_sha256": digest.hexdigest(), **name_lemmas.fingerprint()}


def dump(gaz: Gazetteer) -> dict[str, Any]:
    index = {id(place): n for n, place in enumerate(gaz.places)}
    return {
        "places": [[p.region, p.kind, p.name_ru, p.name_kk] for p in gaz.places],
        "regions": gaz.regions,
        "entries": [
            [
                [sorted(keys) for keys in e.tokens],
                e.core,
                e.typed,
                [index[id(p)] for p in e.places],
                gazetteer.anchor(e.tokens),
            ]
            for e in gaz.entries.values()
        ],
        "common_nouns": sorted(gaz.common_nouns),
        "vocabulary": sorted(gaz.vocabulary),
    }


def restore(data: dict[str, Any]) -> Gazetteer:
    """The gazetteer `build` made, entries in the same order (so `by_anchor` lists match)."""
    places = [Place(*fields) for fields in data["places"]]
    regions = {code: (ru, kk) for code, (ru, kk) in data["regions"].items()}
    gaz = Gazetteer(
        places=places,
        regions=regions,
        vocabulary=set(data["vocabulary"]),
        common_nouns=set(data["common_nouns"]),
    )
    by_anchor = gaz.by_anchor
    for tokens, core, typed, place_indices, offset in data["entries"]:
        keys = tuple(frozenset(token) for token in tokens)
        entry = gaz.entries[(keys, core)] = NameEntry(keys, core, typed)
        entry.places = [places[n] for n in place_indices]
        for word_key in keys[offset]:
            by_anchor[(offset, word_key)].append(entry)
        gaz.max_anchor = max(gaz.max_anchor, offset)
    return gaz


def shipped() -> Gazetteer | None:
    """The shipped index, or None when it is missing or stale."""
    try:
        raw = (resources.files("intake") / "data" / INDEX_FILE).read_bytes()
    except FileNotFoundError:
        return None
    data = json.loads(gzip.decompress(raw))
    return restore(data["index"]) if data.get("fingerprint") == fingerprint() else None


def write(path: Path | None = None) -> Path:
    target = path or Path(str(resources.files("intake") / "data" / INDEX_FILE))
    document = {"fingerprint": fingerprint(), "index": dump(gazetteer.build(gazetteer._rows()))}
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # mtime=0: the same index writes the same bytes, so `make model` leaves git clean
    target.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return target


if __name__ == "__main__":
    print(write())  # noqa: T201
