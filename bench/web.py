"""The web console over 100,000 cases in 20 regions, side by side in the same run with a bare
Starlette endpoint that runs the same SQL and returns the rows as JSON; then 50 concurrent
signed-in users browsing a live server.

Pages: the queue's first page and a deep page (both with their counts per filter), a search,
the dashboard, a case page. "bare" runs exactly the queries the page runs (the functions in
web/queue.py, web/dashboard.py, web/case_data.py) with no session check, no templates and no
access-log write; "console" is the real page, signed in as central. Both are called through the
same in-process ASGI client, interleaved.

Usage: .venv/bin/python bench/web.py [--cases 100000] [--rounds 3] [--requests 10] [--warmup 5]
       [--users 50] [--seconds 60] [--think 1.0] [--workers 2] [--no-postgres]
Writes bench/results/web.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from digest import populate  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import col, select  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402
from throwaway_pg import create_database, drop_database  # noqa: E402

from core.crypto import install_keyring  # noqa: E402
from core.settings import load_settings  # noqa: E402
from intake import actions  # noqa: E402
from models.db import create_engine, create_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.tables import Case  # noqa: E402
from models.web import WebAccount, WebSession  # noqa: E402
from web import dashboard  # noqa: E402
from web import sessions as web_sessions
from web.app import create_app  # noqa: E402
from web.cache import TtlCache  # noqa: E402
from web.case_data import case_view, visible_case  # noqa: E402
from web.queue import Filters, counts, cursor_of, page_of  # noqa: E402
from web.security import token_hash  # noqa: E402
from web.sessions import COOKIE, Viewer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "web.json"
# Fixed keys for the throwaway store, shared with the `shagym web` the crowd talks to.
KEYS = {"DATA_KEY": "d" * 64, "HASH_KEY": "e" * 64, "WEB_SECRET_KEY": "b" * 64}
SEARCH = "директор угрожает"


def bare_app(sessions: Any, zone: Any) -> Starlette:
    """The same SQL as each page, rows out as JSON."""

    async def queue(request: Request) -> JSONResponse:
        filters = Filters.of(request.query_params, central=True)
        async with sessions() as session:
            rows, after = await page_of(session, filters, None, zone, request.query_params.get("after"))
            found = await counts(session, filters, None, zone, True)
        return JSONResponse({"rows": [[c.number, c.status, c.region, c.category, c.text[:140],
                                       c.due_at.isoformat()] for c in rows],
                             "after": after, "counts": found})  # fmt: skip

    async def board(request: Request) -> JSONResponse:
        async with sessions() as session:
            regions, categories = await dashboard.tallies(session, None)
            days = await dashboard.per_day(session, None, zone)
            triage = await dashboard.triage(session, None)
        return JSONResponse({"regions": {k: vars_of(v) for k, v in regions.items()},
                             "categories": {k: vars_of(v) for k, v in categories.items()},
                             "days": [[d.isoformat(), n] for d, n in days],
                             "triage": [c.number for c in triage]})  # fmt: skip

    async def one(request: Request) -> JSONResponse:
        async with sessions() as session:
            viewer = request.app.state.viewer
            case = await visible_case(session, viewer, request.path_params["number"])
            assert case is not None
            view = await case_view(session, viewer, case)
            targets = await actions.reroute_targets(session, case)
        return JSONResponse({"case": case.number, "text": case.text,
                             "messages": [m.text for m in view.messages],
                             "related": [c.number for c, _ in view.related],
                             "history": [h.action for h in view.history],
                             "targets": [t.code for t in targets]})  # fmt: skip

    return Starlette(routes=[Route("/cases", queue), Route("/", board),
                             Route("/cases/{number}", one)])  # fmt: skip


def vars_of(tally: Any) -> dict[str, int]:
    return {"open": tally.open, "overdue": tally.overdue, "resolved": tally.resolved}


async def _central(sessions: Any) -> tuple[WebAccount, str]:
    """A central account and a live session token, made in the store (argon2 is not measured)."""
    async with sessions() as session:
        account = WebAccount(email="central@bench.kz", password_hash="-", role="central")
        session.add(account)
        await session.flush()
        token = await web_sessions.start(session, account)
        await session.commit()
    return account, token


async def _paths(sessions: Any, zone: Any) -> dict[str, str]:
    async with sessions() as session:
        total = len((await session.exec(select(Case.id))).all())
        deep = (await session.exec(  # page 400 of 2,000, or the middle of a smaller store
            select(Case).order_by(col(Case.due_at), col(Case.id)).offset(min(20_000, total // 2))
            .limit(1))).one()  # fmt: skip
        clustered = (await session.exec(
            select(Case).where(col(Case.cluster_id).is_not(None)).limit(1))).one()  # fmt: skip
    from urllib.parse import quote

    return {"queue_first": "/cases", "queue_deep": f"/cases?after={quote(cursor_of(deep))}",
            "search": f"/cases?q={quote(SEARCH)}", "dashboard": "/",
            "case": f"/cases/{clustered.number}"}  # fmt: skip


async def _time(client: httpx.AsyncClient, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.get(path)
        out.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return out


async def side_by_side(url: str, count: int, rounds: int, requests: int) -> dict[str, Any]:
    install_keyring(load_settings(DATABASE_URL=url, **KEYS).keyring())
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    started = time.perf_counter()
    await populate(sessions, count)
    populated = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load: without the statistics of the
        # stored search vector's words (0012) a common word is planned as a rare one.
        async with engine.begin() as conn:
            await conn.execute(text('ANALYZE "case"'))
    settings = load_settings(DATABASE_URL=url, **KEYS)
    account, token = await _central(sessions)
    ours = create_app(settings, sessions)
    # Side by side the console runs every query each time, like the bare endpoint (its
    # 15-second cache of counts is left on for the crowd, as deployed).
    ours.state.cache = TtlCache(0)
    bare = bare_app(sessions, settings.zone)
    async with sessions() as session:
        row = await session.get(WebSession, token_hash(token))
    bare.state.viewer = Viewer(account, row)
    cookie = {COOKIE: web_sessions.cookie_value(ours.state.secret, token)}
    paths = await _paths(sessions, settings.zone)
    times: dict[str, dict[str, list[float]]] = {name: {"bare": [], "console": []} for name in paths}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ours), base_url="http://b",
                                 cookies=cookie) as mine, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=bare), base_url="http://b") as theirs:  # fmt: skip
        for path in paths.values():  # warm both
            await _time(mine, path, 1)
            await _time(theirs, path, 1)
        for _ in range(rounds):
            for name, path in paths.items():
                times[name]["bare"] += await _time(theirs, path, requests)
                times[name]["console"] += await _time(mine, path, requests)
    await engine.dispose()
    pages = {}
    for name, runs in times.items():
        bare_ms = statistics.median(runs["bare"]) * 1000
        ours_ms = statistics.median(runs["console"]) * 1000
        pages[name] = {"bare_ms": round(bare_ms, 1), "console_ms": round(ours_ms, 1),
                       "ratio": round(ours_ms / bare_ms, 2)}  # fmt: skip
    return {"populate_s": round(populated, 1), "pages": pages}


async def crowd(
    url: str, users: int, seconds: float, think: float, workers: int, warmup: float
) -> dict[str, Any]:
    """`users` signed-in browsers on a live `shagym web`, each cycling through the pages with
    `think` seconds between a page and the next (a person reading). They all start at once
    when the server answers; the first `warmup` seconds are reported apart (`warmup`), the
    next `seconds` are the measurement."""
    import socket
    import subprocess

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    settings = load_settings(DATABASE_URL=url, **KEYS)
    async with sessions() as session:
        account = (await session.exec(select(WebAccount))).one()
        tokens = [await web_sessions.start(session, account) for _ in range(users)]
        await session.commit()
    paths = list((await _paths(sessions, settings.zone)).items())
    await engine.dispose()
    secret = settings.web_secret_key()
    env = {**os.environ, **KEYS, "DATABASE_URL": url, "WEB_PORT": str(port),
           "LOG_LEVEL": "WARNING", "WEB_IDLE_MINUTES": "600", "WEB_WORKERS": str(workers)}  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([sys.executable, "-m", "shagym", "web"], env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        await _until_up(base)
        # Every browser's client is made before the clock starts, without TLS settings (plain
        # HTTP to 127.0.0.1): building httpx's default certificate context costs ~33 ms of CPU
        # a client, which the first requests of the run used to pay 50 times over, in the
        # same event loop that timed them.
        clients = [
            httpx.AsyncClient(base_url=base, timeout=30, verify=False,
                              limits=httpx.Limits(max_connections=1),
                              cookies={COOKIE: web_sessions.cookie_value(secret, token)})
            for token in tokens
        ]  # fmt: skip
        runs = await _browse(clients, paths, think, warmup + seconds)
    finally:
        server.terminate()
        server.wait(30)
    first = min(started for started, *_ in runs) if runs else 0.0
    early = [run for run in runs if run[0] - first < warmup]
    measured = [run for run in runs if run[0] - first >= warmup]
    found = {"users": users, "workers": workers, "seconds": seconds, "think_s": think,
             **_summary(measured, seconds, [name for name, _ in paths])}  # fmt: skip
    found["warmup"] = {"seconds": warmup, **_summary(early, warmup, [])}
    return found


async def _until_up(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, verify=False) as probe:
        for _ in range(300):
            try:
                await probe.get("/login")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)


async def _browse(
    clients: list[httpx.AsyncClient], paths: list[tuple[str, str]], think: float, seconds: float
) -> list[tuple[float, str, float, bool]]:
    """Every client browsing for `seconds`: (start, page, latency, ok) of each request."""
    runs: list[tuple[float, str, float, bool]] = []
    deadline = time.perf_counter() + seconds

    async def user(index: int, client: httpx.AsyncClient) -> None:
        async with client:
            step = index
            while time.perf_counter() < deadline:
                name, path = paths[step % len(paths)]
                step += 1
                start = time.perf_counter()
                try:
                    ok = (await client.get(path)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                runs.append((start, name, time.perf_counter() - start, ok))
                await asyncio.sleep(think)

    await asyncio.gather(*(user(i, client) for i, client in enumerate(clients)))
    return runs


def _summary(
    runs: list[tuple[float, str, float, bool]], seconds: float, pages: list[str]
) -> dict[str, Any]:
    latencies = [latency for _, _, latency, _ in runs]
    found = {"requests": len(runs), "errors": sum(not ok for *_, ok in runs),
             "rps": round(len(runs) / seconds, 1) if seconds else 0.0,
             "p50_ms": _pct(latencies, 0.50), "p95_ms": _pct(latencies, 0.95),
             "p99_ms": _pct(latencies, 0.99), "max_ms": _pct(latencies, 1.0)}  # fmt: skip
    if pages:
        found["p99_ms_by_page"] = {
            page: _pct([latency for _, name, latency, _ in runs if name == page], 0.99)
            for page in pages
        }
    return found


def _pct(latencies: list[float], p: float) -> float:
    ordered = sorted(latencies)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1) if ordered else 0.0


async def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    found = await side_by_side(url, args.cases, args.rounds, args.requests)
    if args.users:
        found["crowd"] = await crowd(url, args.users, args.seconds, args.think, args.workers,
                                     args.warmup)  # fmt: skip
    return found


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "web", "cases": args.cases, "regions": 20,
        "target": "each page <= 2x the bare endpoint; 50 users for 60 s: p99 <= 300 ms, no errors",
        "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = await measure(f"sqlite+aiosqlite:///{tmp}/bench.db", args)
    database = await create_database() if not args.no_postgres else None
    if database is not None:
        try:
            results["postgresql"] = await measure(database[1], args)
        finally:
            await drop_database(database[0])
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between pages")
    parser.add_argument("--workers", type=int, default=2, help="WEB_WORKERS of the live server")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds of browsing before the measured ones, reported apart")  # fmt: skip
    parser.add_argument("--no-postgres", action="store_true")
    arguments = parser.parse_args()
    outcome = asyncio.run(main(arguments))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(outcome, indent=2, ensure_ascii=False))  # noqa: T201
