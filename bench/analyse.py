"""`shagym analyse` vs natasha's NER pass over the same 10,000 texts, in one run.

Usage: .venv/bin/python bench/analyse.py [--count 10000]
Writes bench/results/analyse.json.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from textgen import complaints  # noqa: E402

from shagym.analyse_cli import analyse_lines  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "analyse.json"


def run_shagym(texts: list[str]) -> tuple[float, int]:
    source = io.StringIO("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts))
    sink = io.StringIO()
    start = time.perf_counter()
    analyse_lines(source, sink)
    elapsed = time.perf_counter() - start
    placed = sum(1 for line in sink.getvalue().splitlines() if json.loads(line)["region"])
    return elapsed, placed


def run_natasha(texts: list[str]) -> tuple[float, int]:
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())
    start = time.perf_counter()
    locations = 0
    for text in texts:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        locations += sum(1 for span in doc.spans if span.type == "LOC")
    return time.perf_counter() - start, locations


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    texts = complaints(args.count)
    chars = sum(len(t) for t in texts)
    shagym_s, placed = run_shagym(texts)
    natasha_s, locations = run_natasha(texts)
    result = {
        "texts": len(texts),
        "characters": chars,
        "shagym_analyse": {"seconds": round(shagym_s, 3), "texts_per_second": round(len(texts) / shagym_s, 1),
                           "texts_placed_in_a_region": placed},
        "natasha_ner": {"seconds": round(natasha_s, 3), "texts_per_second": round(len(texts) / natasha_s, 1),
                        "LOC_spans": locations},
        "speedup": round(natasha_s / shagym_s, 2),
        "machine": {"python": platform.python_version(), "cpu_count": __import__("os").cpu_count()},
        "note": "shagym does region+district+category+language+entities and JSON; natasha only NER",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
