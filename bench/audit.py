"""`shagym audit members` vs a plain pandas implementation of the same rules over the same
generated registry, in one run; and the XLSX reader over 100,000 rows.

Usage: .venv/bin/python bench/audit.py [--members 1000000] [--xlsx 100000]
Writes bench/results/audit.json. Both contestants use the same cell normalisers
(`audit.normalise`: IIN check, phone to E.164, dates, regions), so the ratio measures the
engines: ours streams rows through Python dictionaries; pandas loads the file and groups.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from registry import MEMBER_HEADER, SUSPENDED, generate_members  # noqa: E402

from audit import normalise as norm  # noqa: E402
from audit.members import MemberOptions  # noqa: E402
from audit.run import audit_members  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "audit.json"


def ours(path: Path) -> set[tuple[str, str]]:
    result = audit_members([path], MemberOptions(suspended=[SUSPENDED]), progress=False)
    return {(f.rule, f.identity) for f in result.findings}


def pandas_rules(path: Path) -> set[tuple[str, str]]:
    """The same members rules written the plain pandas way: load, map the normalisers, group."""
    import pandas as pd

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=True)
    frame.columns = ["iin", "name", "phone", "email", "region", "district", "org", "admitted"]
    frame["iin"] = frame["iin"].map(norm.clean_iin)
    frame = frame[frame["iin"] != ""].copy()  # empty rows and rows without an IIN are skipped
    frame["region"] = frame["region"].map(lambda v: norm.region_code(v) or "none")
    found: set[tuple[str, str]] = set()
    bad = frame[frame["iin"].map(norm.iin_problem).notna()]
    found |= {("invalid_iin", region) for region in bad["region"].unique()}
    counts = frame["iin"].value_counts()
    found |= {("duplicate_iin", iin) for iin in counts[counts >= 2].index}
    frame["e164"] = frame["phone"].map(lambda v: norm.phone(v) if v else None)
    people = frame.dropna(subset=["e164"]).groupby("e164")["iin"].nunique()
    found |= {("shared_phone", p) for p in people[people >= 5].index}
    frame["day"] = pd.to_datetime(frame["admitted"], errors="coerce")
    start, end = (pd.Timestamp(d) for d in SUSPENDED)
    inside = frame[(frame["day"] >= start) & (frame["day"] <= end)]
    window = f"{SUSPENDED[0]}:{SUSPENDED[1]}"
    found |= {("suspended_admission", f"{window}|{r}") for r in inside["region"].unique()}
    found |= _bursts(frame)
    return found


def _bursts(frame) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    daily = frame.dropna(subset=["day"]).groupby(["org", "day"]).size()
    found = set()
    for org, days in daily.groupby(level=0):
        days = days.droplevel(0)
        if days.sum() < 20:
            continue
        threshold = max(20, 5 * days.median() * 3)
        rolling = days.rolling("3D").sum()  # windows ending on each day
        hits = rolling[rolling >= threshold]
        if len(hits):
            first = days[(days.index >= hits.index[0] - __import__("pandas").Timedelta(days=2))
                         & (days > days.median())].index[0]
            found.add(("admission_burst", f"{org}|{first.date()}"))
    return found


def timed(func, *args):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    value = func(*args)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def xlsx_run(rows: int, folder: Path) -> dict[str, float]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Члены")
    sheet.append(MEMBER_HEADER)
    _, members = generate_members(folder / "small.csv", rows, seed=5)
    for row in members:
        sheet.append(row)
    book.save(folder / "members.xlsx")
    _, wall, cpu = timed(ours, folder / "members.xlsx")
    return {"rows": rows, "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--xlsx", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        expected, _ = generate_members(folder / "members.csv", args.members)
        found, wall, cpu = timed(ours, folder / "members.csv")
        peak_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peer, peer_wall, peer_cpu = timed(pandas_rules, folder / "members.csv")
        xlsx = xlsx_run(args.xlsx, folder)
    result = {
        "machine": platform.platform(), "python": platform.python_version(),
        "members": args.members,
        "shagym": {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
                   "rows_per_s": round(args.members / wall), "peak_rss_mb": peak_ours // 1024,
                   "found_injected": sorted(map(list, found)) == sorted(map(list, expected.members))},
        "pandas": {"seconds": round(peer_wall, 2), "cpu_seconds": round(peer_cpu, 2),
                   "rows_per_s": round(args.members / peer_wall),
                   "same_findings": peer == found},
        "ratio_cpu": round(peer_cpu / cpu, 2),
        "xlsx": xlsx,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
