"""Start-up of the CLI, whole processes, against the floors the issue names.

Usage: .venv/bin/python bench/startup.py [--runs 7]
Writes bench/results/startup.json.

- `shagym --help` vs `--help` of a one-command Typer app (target ≤ 2×);
- `shagym analyse --text …` of one text vs `python -c "import pymorphy3;
  pymorphy3.MorphAnalyzer()"`, its own unavoidable floor (target ≤ 3×).

Same venv, same run; the runs of each pair alternate and the figure is the median wall time.
Our sources are compiled to bytecode first, as an install has them (`bytecode.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bytecode import compile_project  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "startup.json"
BIN = Path(sys.executable).parent
TYPER_APP = """
import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    \"\"\"Say hello.\"\"\"
    print(f"hello {name}")


if __name__ == "__main__":
    app()
"""
TEXT = "В Караганде директор заставляет сотрудников вступить в партию, угрожает увольнением"


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    return time.perf_counter() - start


def pair(ours: list[str], floor: list[str], runs: int) -> dict[str, object]:
    wall(ours), wall(floor)  # warm the page cache; not counted
    ours_s, floor_s = [], []
    for _ in range(runs):
        ours_s.append(wall(ours))
        floor_s.append(wall(floor))
    ours_m, floor_m = statistics.median(ours_s), statistics.median(floor_s)
    return {
        "ours_median_s": round(ours_m, 3),
        "floor_median_s": round(floor_m, 3),
        "ratio": round(ours_m / floor_m, 2),
        "ours_runs_s": [round(s, 3) for s in ours_s],
        "floor_runs_s": [round(s, 3) for s in floor_s],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-bytecode", action="store_true",
                        help="time our sources uncompiled (as under PYTHONDONTWRITEBYTECODE)")
    args = parser.parse_args()
    if not args.no_bytecode:
        compile_project()
    shagym, python = str(BIN / "shagym"), sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "one_command.py"
        app.write_text(TYPER_APP, encoding="utf-8")
        result = {
            "help": {
                "ours": "shagym --help",
                "floor": "python one_command.py --help (a one-command Typer app)",
                "target_ratio": 2.0,
                **pair([shagym, "--help"], [python, str(app), "--help"], args.runs),
            },
            "analyse_one_text": {
                "ours": "shagym analyse --text …",
                "floor": 'python -c "import pymorphy3; pymorphy3.MorphAnalyzer()"',
                "target_ratio": 3.0,
                **pair(
                    [shagym, "analyse", "--text", TEXT],
                    [python, "-c", "import pymorphy3; pymorphy3.MorphAnalyzer()"],
                    args.runs,
                ),
            },
            "runs": args.runs,
            "machine": {
                "python": platform.python_version(),
                "cpu_count": os.cpu_count(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            },  # fmt: skip
            "our_bytecode": "not compiled" if args.no_bytecode else "compiled first, as installed",
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
