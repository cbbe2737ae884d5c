"""Building every daily digest over 100,000 cases in 20 regional commissions (plus the central
committee's national digest), side by side in the same run with the bare SQL aggregation
queries those digests are made of.

"bare" runs `notify.digest.data.collect` for every commission, one after another — every
query a digest needs, rows fetched, nothing else; "digest" runs the whole build as the
scheduler does (`notify.digest.pipeline.build_many`): the same queries, then the template
triplet, the Telegram summary and the matplotlib chart, rendered in a worker thread while the
next commission's queries run.

Usage: .venv/bin/python bench/digest.py [--cases 100000] [--repeat 3] [--no-postgres]
Writes bench/results/digest.json. PostgreSQL is measured too when SHAGYM_TEST_PG (default
postgresql+asyncpg://postgres@127.0.0.1:5432/test) answers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import select  # noqa: E402
from throwaway_pg import create_database, drop_database  # noqa: E402

from intake.category import CATEGORIES  # noqa: E402
from intake.commissions import read_file, sync_commissions  # noqa: E402
from intake.routing import CENTRAL  # noqa: E402
from models.db import SessionFactory, create_engine, create_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.tables import Case, CaseEntity, Commission  # noqa: E402
from notify.digest.data import collect  # noqa: E402
from notify.digest.pipeline import build_many  # noqa: E402
from notify.digest.queries import Window  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "digest.json"
COMMISSIONS = ROOT / "config" / "commissions.example.toml"
ZONE = ZoneInfo("Asia/Almaty")
NOW = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)  # 09:00 in Almaty
STATUSES = ["resolved"] * 6 + ["new"] * 2 + ["assigned", "answered"]
WORDS = ["в", "партию", "записали", "без", "ведома", "членов", "на", "один", "телефон", "заставляют", "вступать", "голосовали", "за", "других", "людей", "участок", "праймериз", "директор", "угрожает", "увольнением", "список", "подписи"]


def _case_rows(count: int, regions: list[str], rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for index in range(1, count + 1):
        created = NOW - dt.timedelta(seconds=rng.uniform(0, 365 * 86400))
        status = rng.choice(STATUSES)
        unplaced = rng.random() < 0.03
        region = None if unplaced else rng.choice(regions)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 60)))
        rows.append(
            {
                "number": f"SH-{created.year}-{index:06d}",
                "status": status,
                "channel": rng.choice(("telegram", "email")),
                "region": region,
                "category": rng.choice(CATEGORIES),
                "language": "ru",
                "text": text,
                "entities": {},
                "commission_code": region or CENTRAL,
                "contact_shared": False,
                "region_confidence": 1.0,
                "category_score": 1.0,
                "created_at": created,
                "updated_at": created,
                "due_at": created + dt.timedelta(days=21),
                "closed_at": created + dt.timedelta(days=rng.uniform(1, 30))
                if status == "resolved"
                else None,
            }
        )
    return rows


def _clusters(count: int, rng: random.Random) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """About 5% of cases in clusters of 2–60 sharing one phone (the "105 members" pattern)."""
    cluster_of: dict[int, int] = {}
    entities = []
    ids = list(range(1, count + 1))
    rng.shuffle(ids)
    position, wanted = 0, count // 20
    while position < wanted:
        size = rng.choice((2, 2, 3, 4, 6, 10, 25, 60))
        members = sorted(ids[position : position + size])
        position += size
        phone = f"+7701{rng.randint(1_000_000, 9_999_999)}"
        for case_id in members:
            cluster_of[case_id] = members[0]
            entities.append({"case_id": case_id, "kind": "phone", "value": phone})
    return cluster_of, entities


async def populate(sessions: SessionFactory, count: int) -> None:
    rng = random.Random(20260310)
    async with sessions() as session:
        await sync_commissions(session, read_file(COMMISSIONS))
        await session.commit()
        regions = [c.code for c in (await session.exec(select(Commission))).all() if c.region]
    rows = _case_rows(count, regions, rng)
    cluster_of, entities = _clusters(count, rng)
    for index, row in enumerate(rows, start=1):
        row["cluster_id"] = cluster_of.get(index)
    async with sessions() as session:
        connection = await session.connection()
        for table, values in ((Case, rows), (CaseEntity, entities)):
            for start in range(0, len(values), 2000):  # executemany, batched by the driver
                await connection.execute(insert(table), values[start : start + 2000])
        await session.commit()


async def _commissions(sessions: SessionFactory) -> list[Commission]:
    async with sessions() as session:
        return list((await session.exec(select(Commission))).all())


async def bare(sessions: SessionFactory, commissions: list[Commission], window: Window) -> float:
    start = time.perf_counter()
    for commission in commissions:
        async with sessions() as session:
            await collect(session, commission, window)
    return time.perf_counter() - start


async def digests(
    sessions: SessionFactory, commissions: list[Commission], window: Window
) -> tuple[float, int]:
    """As the scheduler builds them (`build_many`: queries overlapped with rendering)."""
    start = time.perf_counter()
    jobs = [(commission, window) for commission in commissions]
    built = await build_many(sessions, jobs, chart_src="cid:chart@bench", period=NOW.date())
    size = sum(len(b.html) + len(b.chart_png) for b in built)
    return time.perf_counter() - start, size


async def measure(url: str, count: int, repeat: int) -> dict[str, Any]:
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    started = time.perf_counter()
    await populate(sessions, count)
    populated = time.perf_counter() - started
    commissions = await _commissions(sessions)
    window = Window(since=NOW - dt.timedelta(days=1), until=NOW, zone=ZONE)
    await digests(sessions, commissions, window)  # warm caches, fonts, templates
    bare_runs, digest_runs, size = [], [], 0
    for _ in range(repeat):  # interleaved, so both see the same machine state
        bare_runs.append(await bare(sessions, commissions, window))
        elapsed, size = await digests(sessions, commissions, window)
        digest_runs.append(elapsed)
    await engine.dispose()
    bare_s, digest_s = statistics.median(bare_runs), statistics.median(digest_runs)
    return {
        "digests": len(commissions),
        "populate_s": round(populated, 2),
        "bare_queries_s": round(bare_s, 3),
        "digests_s": round(digest_s, 3),
        "per_digest_ms": round(digest_s / len(commissions) * 1000, 1),
        "ratio": round(digest_s / bare_s, 2),
        "runs": {
            "bare": [round(x, 3) for x in bare_runs],
            "digest": [round(x, 3) for x in digest_runs],
        },
        "output_bytes": size,
    }


async def main(count: int, repeat: int, postgres: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "digest",
        "cases": count,
        "regional_commissions": 20,
        "target": "digests <= 2x the bare queries",
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = await measure(f"sqlite+aiosqlite:///{tmp}/bench.db", count, repeat)
    database = await create_database() if postgres else None
    if database is not None:
        try:
            results["postgresql"] = await measure(database[1], count, repeat)
        finally:
            await drop_database(database[0])
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.cases, args.repeat, not args.no_postgres))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(outcome, indent=2, ensure_ascii=False))  # noqa: T201
