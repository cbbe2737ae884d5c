"""`shagym analyse` vs natasha's NER pass over the same texts, both as whole processes.

Usage: .venv/bin/python bench/analyse.py [--count 1000] [--runs 3]
Writes bench/results/analyse.json.

Each contestant is a fresh process reading the same JSON-lines file of generated complaints
(`bench/textgen.py`, seeded): `shagym analyse FILE` (cleanup, language, region and district,
category model and rules, entities, JSON out) and a Python process that loads natasha's
segmenter, embeddings and NER tagger and tags every text. `shagym analyse FILE` shares a
large file between one process per CPU (forked after loading; the output is byte-for-byte the
one-process output, which this checks); natasha runs in one process, so `shagym analyse
--jobs 1 FILE` is measured too. Runs alternate (shagym, shagym --jobs 1, natasha, …) in the
same session; the figures are the median wall time of each, and the median CPU time (user +
system of the process and its workers). BLAS runs one thread in both (see ENV). Our sources
are compiled to bytecode first, as an install has them (`bytecode.py`; `--no-bytecode` not).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bytecode import compile_project  # noqa: E402
from textgen import complaints  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "analyse.json"
BIN = Path(sys.executable).parent
NATASHA = """
import json, sys
from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())
locations = 0
with open(sys.argv[1], encoding="utf-8") as source:
    for line in source:
        doc = Doc(json.loads(line)["text"])
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        locations += sum(1 for span in doc.spans if span.type == "LOC")
print(locations)
"""


# natasha's tagger runs numpy; with BLAS threads on a shared machine (more runnable processes
# than cores) it spent 4-5x longer spinning than computing. One thread each, both contestants.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def timed(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the process and its children) and stdout of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def summary(runs: list[tuple[float, float]]) -> dict[str, object]:
    return {
        "median_seconds": round(statistics.median(w for w, _ in runs), 3),
        "runs_seconds": [round(w, 3) for w, _ in runs],
        "median_cpu_seconds": round(statistics.median(c for _, c in runs), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-bytecode", action="store_true",
                        help="time our sources uncompiled (as under PYTHONDONTWRITEBYTECODE)")
    args = parser.parse_args()
    if not args.no_bytecode:
        compile_project()
    texts = complaints(args.count)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "texts.jsonl"
        source.write_text(
            "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
            encoding="utf-8",
        )
        shagym_runs, single_runs, natasha_runs = [], [], []
        placed = locations = 0
        shagym = [str(BIN / "shagym"), "analyse"]
        for _ in range(args.runs):
            seconds, cpu, out = timed([*shagym, str(source)])
            shagym_runs.append((seconds, cpu))
            placed = sum(1 for line in out.splitlines() if json.loads(line)["region"])
            seconds, cpu, single_out = timed([*shagym, "--jobs", "1", str(source)])
            single_runs.append((seconds, cpu))
            if single_out != out:
                raise SystemExit("shagym analyse wrote different output with --jobs 1")
            seconds, cpu, out = timed([sys.executable, "-c", NATASHA, str(source)])
            natasha_runs.append((seconds, cpu))
            locations = int(out.strip())
    shagym_s = statistics.median(w for w, _ in shagym_runs)
    single_s = statistics.median(w for w, _ in single_runs)
    natasha_s = statistics.median(w for w, _ in natasha_runs)
    result = {
        "texts": len(texts),
        "characters": sum(len(t) for t in texts),
        "runs": args.runs,
        "shagym_analyse_process": {
            **summary(shagym_runs),
            "processes": "one per CPU (forked after loading)",
            "texts_placed_in_a_region": placed,
        },
        "shagym_analyse_jobs_1_process": {**summary(single_runs), "processes": "one"},
        "natasha_ner_process": {**summary(natasha_runs), "LOC_spans": locations},
        "speedup": round(natasha_s / shagym_s, 2),
        "speedup_one_process": round(natasha_s / single_s, 2),
        "target": "≥ 3×",
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },  # fmt: skip
        "our_bytecode": "not compiled" if args.no_bytecode else "compiled first, as installed",
        "note": "whole processes, start-up included; shagym does region+district+category "
        "(model and rules)+language+entities and JSON; natasha only NER, in one process; "
        "shagym's default shares the file between one process per CPU, --jobs 1 is one process",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
