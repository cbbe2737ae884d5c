"""`shagym audit members` and `shagym audit votes --members` vs a plain pandas implementation
of the same rules over the same generated registry and votes, in one run; and the XLSX reader
over 100,000 rows.

Usage: .venv/bin/python bench/audit.py [--members 1000000] [--polls 3] [--xlsx 100000]
                                       [--data DIR]
Writes bench/results/audit.json. pandas uses the cell normalisers of `audit.normalise` (IIN
check, phone to E.164, dates, regions) the plain way (`Series.map`); ours streams the rows in
batches, normalises plain cells vectorised in polars and groups there.
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

from registry import (  # noqa: E402
    MEMBER_HEADER,
    SUSPENDED,
    WINDOW,
    Expected,
    generate_members,
    generate_votes,
)

from audit import normalise as norm  # noqa: E402
from audit.members import MemberOptions  # noqa: E402
from audit.run import audit_members, audit_votes, load_members  # noqa: E402
from audit.votes import VoteOptions  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "audit.json"


def ours(path: Path) -> set[tuple[str, str]]:
    result = audit_members([path], MemberOptions(suspended=[SUSPENDED]), progress=False)
    return {(f.rule, f.identity) for f in result.findings}


def ours_votes(path: Path, members: Path) -> set[tuple[str, str]]:
    registry, _ = load_members(members, progress=False)
    result = audit_votes([path], VoteOptions(members=registry, suspended=[SUSPENDED]),
                         progress=False)
    return {(f.rule, f.identity) for f in result.findings}


def pandas_votes(path: Path, members: Path) -> set[tuple[str, str]]:
    """The votes rules the plain pandas way, with the registry read by pandas too."""
    import pandas as pd

    registry = pd.read_csv(members, dtype=str, keep_default_na=False, usecols=[0, 7])
    registry.columns = ["iin", "admitted"]
    registry["iin"] = registry["iin"].map(norm.clean_iin)
    registry["admitted"] = pd.to_datetime(registry["admitted"], errors="coerce")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = ["iin", "phone", "ip", "at", "region", "poll"]
    frame["iin"] = frame["iin"].map(norm.clean_iin)
    frame = frame[(frame[["iin", "phone", "ip"]] != "").any(axis=1)].copy()
    frame["region"] = frame["region"].map(lambda v: norm.region_code(v) or "none")
    found: set[tuple[str, str]] = set()
    counts = frame[frame["iin"] != ""].groupby(["poll", "iin"]).size()
    found |= {("repeat_iin", f"{p}|{i}") for p, i in counts[counts >= 2].index}
    frame["e164"] = frame["phone"].map(lambda v: norm.phone(v) if v else None)
    counts = frame.dropna(subset=["e164"]).groupby(["poll", "e164"])["iin"].nunique()
    found |= {("shared_phone", f"{p}|{e}") for p, e in counts[counts >= 5].index}
    frame["t"] = pd.to_datetime(frame["at"], errors="coerce")
    timed = frame[(frame["ip"] != "") & frame["t"].notna()]
    sizes = timed.groupby(["poll", "ip"]).size()
    for poll, ip in sizes[sizes >= 10].index:
        times = timed[(timed["poll"] == poll) & (timed["ip"] == ip)].sort_values("t")
        within = times.rolling("3601s", on="t")["ip"].count()
        if (within >= 10).any():
            found.add(("shared_ip", f"{poll}|{ip}"))
    joined = frame[frame["iin"] != ""].merge(registry, on="iin", how="left", indicator=True)
    outside = joined[joined["_merge"] == "left_only"]
    found |= {("non_member", f"{p}|{r}") for p, r in outside[["poll", "region"]].drop_duplicates()
              .itertuples(index=False)}
    start, end = (pd.Timestamp(d) for d in SUSPENDED)
    inside = joined[(joined["admitted"] >= start) & (joined["admitted"] <= end)]
    found |= {("voter_admitted_in_suspension", f"{p}|{WINDOW}|{r}")
              for p, r in inside[["poll", "region"]].drop_duplicates().itertuples(index=False)}
    return found


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


def generated(folder: Path, count: int, polls: int) -> tuple[Path, Path, Expected]:
    """The registry and votes files of this size in `folder`, written unless an earlier run
    left them there (generating 1,000,000 members takes minutes), and what they must yield."""
    members, votes = folder / "members.csv", folder / "votes.csv"
    marker = folder / f"expected-{count}-{polls}.json"
    if marker.exists() and members.exists() and votes.exists():
        saved = json.loads(marker.read_text())
        return members, votes, Expected({tuple(f) for f in saved["members"]},  # type: ignore[misc]
                                        {tuple(f) for f in saved["votes"]})
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    expected, rows = generate_members(members, count)
    expected.votes = generate_votes(votes, rows, polls).votes | {
        ("voter_admitted_in_suspension", f"P{p + 1}|{WINDOW}|AST") for p in range(polls)}
    marker.write_text(json.dumps({"members": sorted(expected.members),
                                  "votes": sorted(expected.votes)}))
    return members, votes, expected


def in_child(kind: str, *paths: Path) -> tuple[set[tuple[str, str]], float, float, int]:
    """Ours in a fresh interpreter, so its peak memory is its own (not the generator's)."""
    import subprocess

    out = subprocess.run([sys.executable, __file__, "--child", kind, *map(str, paths)],
                         check=True, capture_output=True, text=True).stdout
    data = json.loads(out)
    return {tuple(f) for f in data["found"]}, data["wall"], data["cpu"], data["peak_mb"]


def child(kind: str, paths: list[str]) -> None:
    func = ours if kind == "members" else ours_votes
    found, wall, cpu = timed(func, *map(Path, paths))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"found": sorted(found), "wall": wall, "cpu": cpu, "peak_mb": peak}))  # noqa: T201


def side(wall: float, cpu: float, rows: int) -> dict[str, float]:
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "rows_per_s": round(rows / wall)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--xlsx", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="keep the generated files here and reuse them")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1:])
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        members, votes, expected = generated(args.data or folder, args.members, args.polls)
        vote_rows = sum(1 for _ in votes.open(encoding="utf-8")) - 1
        found_m, wall_m, cpu_m, peak_m = in_child("members", members)
        found_v, wall_v, cpu_v, peak_v = in_child("votes", votes, members)
        peer_m, pwall_m, pcpu_m = timed(pandas_rules, members)
        peer_v, pwall_v, pcpu_v = timed(pandas_votes, votes, members)
        xlsx = xlsx_run(args.xlsx, folder)
    result = {
        "machine": platform.platform(), "python": platform.python_version(),
        "members": args.members, "votes": vote_rows,
        "shagym": {
            "members": {**side(wall_m, cpu_m, args.members), "peak_rss_mb": peak_m,
                        "found_injected": found_m == expected.members},
            "votes": {**side(wall_v, cpu_v, vote_rows), "peak_rss_mb": peak_v,
                      "found_injected": found_v == expected.votes},
            "together": {"seconds": round(wall_m + wall_v, 2),
                         "cpu_seconds": round(cpu_m + cpu_v, 2)},
        },
        "pandas": {
            "members": {**side(pwall_m, pcpu_m, args.members), "same_findings": peer_m == found_m},
            "votes": {**side(pwall_v, pcpu_v, vote_rows), "same_findings": peer_v == found_v},
            "together": {"seconds": round(pwall_m + pwall_v, 2),
                         "cpu_seconds": round(pcpu_m + pcpu_v, 2)},
        },
        "ratio_cpu": round((pcpu_m + pcpu_v) / (cpu_m + cpu_v), 2),
        "ratio_wall": round((pwall_m + pwall_v) / (wall_m + wall_v), 2),
        "ratio_cpu_members": round(pcpu_m / cpu_m, 2),
        "ratio_cpu_votes": round(pcpu_v / cpu_v, 2),
        "xlsx": xlsx,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
