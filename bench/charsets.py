"""Mislabelled Cyrillic mail: how often the text comes out exactly as written, for
`mail_ingest.charsets.decode_bytes` and, side by side in the same run, charset-normalizer
restricted to the same candidate encodings (it ignores labels).

Texts: the labelled complaints of tests/data (Russian and Kazakh), whole and cut to their first
40 and 20 characters, plus 300 generated ones (`bench/textgen.py`, never looked at while the
scoring was written). Each is encoded in every encoding Russian and Kazakh mail uses (Kazakh
letters a table lacks replaced as writers do: ә → а, қ → к, і → i...) and labelled with its own
charset, utf-8, nothing, a wrong Cyrillic table and iso-8859-1.

Usage: .venv/bin/python bench/charsets.py     Writes bench/results/charsets.json.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from charset_normalizer import from_bytes  # noqa: E402
from textgen import complaints  # noqa: E402

from mail_ingest.charsets import FALLBACKS, decode_bytes  # noqa: E402

STAND_INS = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноууhiАГКНОУУHI")
WRONG = {"cp1251": "koi8-r", "utf-8": "windows-1251"}
LABELS = ("own", "utf-8", None, "wrong", "iso-8859-1")


def texts() -> dict[str, list[str]]:
    labelled = []
    for name in ("devset.jsonl", "holdout.jsonl"):
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["language"] in ("ru", "kk"):
                labelled.append(row["text"])
    generated = complaints(300, seed=7)
    return {
        "labelled, whole": labelled,
        "labelled, first 40 chars": [t[:40] for t in labelled],
        "labelled, first 20 chars": [t[:20] for t in labelled],
        "generated": generated,
    }


def carried(text: str, encoding: str) -> str:
    """The text as it can be written in `encoding`: Kazakh letters it lacks replaced as writers
    do, other characters it lacks (koi8-r has no «» or №) as "?"."""
    out = "".join(c if c.encode(encoding, "ignore") else c.translate(STAND_INS) for c in text)
    return out.encode(encoding, "replace").decode(encoding)


def label_for(label: str | None, encoding: str) -> str | None:
    if label == "own":
        return encoding.replace("_", "-")
    if label == "wrong":
        return WRONG.get(encoding, "windows-1251")
    return label


def ours(data: bytes, label: str | None) -> str:
    return decode_bytes(data, label).text


def normalizer(data: bytes, label: str | None) -> str:
    best = from_bytes(data, cp_isolation=list(FALLBACKS)).best()
    return str(best) if best is not None else data.decode("utf-8", "replace")


def measure(decode: Callable[[bytes, str | None], str], sets: dict[str, list[str]]) -> dict:
    result: dict[str, dict] = {}
    started = time.perf_counter()
    right = total = 0
    for set_name, items in sets.items():
        for encoding in FALLBACKS:
            good = cases = 0
            for text in items:
                written = carried(text, encoding)
                data = written.encode(encoding)
                if data.isascii():
                    continue
                for label in LABELS:
                    if encoding == "utf-8" and label in ("own", "utf-8"):
                        continue  # nothing to detect
                    cases += 1
                    good += decode(data, label_for(label, encoding)) == written
            result.setdefault(set_name, {})[encoding] = f"{good}/{cases}"
            right, total = right + good, total + cases
    return {
        "exact": round(right / total, 4),
        "cases": total,
        "seconds": round(time.perf_counter() - started, 2),
        "by_set_and_encoding": result,
    }


def main() -> None:
    random.seed(0)
    sets = texts()
    out = {"ours": measure(ours, sets), "charset_normalizer": measure(normalizer, sets)}
    path = ROOT / "bench" / "results" / "charsets.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, figures in out.items():
        print(f"{name}: {figures['exact']:.2%} of {figures['cases']} ({figures['seconds']} s)")  # noqa: T201


if __name__ == "__main__":
    main()
