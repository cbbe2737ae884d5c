"""The outbox delivering 2,000 owed email alerts to an aiosmtpd sink, side by side in the same
run with bare aiosmtplib sending the same 2,000 messages over one reused connection.

- **bare**: one `aiosmtplib.SMTP`, connected once, `sendmail` of each message's bytes (the
  bytes the outbox sent in the first round), one after another; nothing read or written.
- **outbox**: the real worker as `shagym run` builds it (`notify.service.build_worker`,
  SMTP_CONNECTIONS connections, `deliver_until`): claim with a lease, load each case, compose
  and build the message, send, settle the row — until every row is settled `sent`.
- **outbox, one connection, batch by batch**: the same worker with one connection, draining
  batch after batch with the connection closed after each (what the worker did before).

The sink runs in a process of its own (so neither contestant pays for the server's work in
its event loop). Rounds alternate bare and outbox; the rows are put back to `pending`
between rounds. Only the 2,000 email alerts are left owed (the cases' acknowledgements and
Telegram alerts are deleted after populating), as in a deployment whose other channels keep up. Usage: .venv/bin/python bench/outbox.py [--messages 2000] [--repeat 3]
[--no-postgres]. Writes bench/results/outbox.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosmtplib  # noqa: E402
from sqlalchemy import delete, func, update  # noqa: E402
from sqlmodel import col, select  # noqa: E402
from throwaway_pg import create_database, drop_database  # noqa: E402

from core.crypto import install_keyring  # noqa: E402
from core.metrics import DELIVERIES  # noqa: E402
from core.settings import load_settings  # noqa: E402
from intake.cases import IntakeContext, open_case  # noqa: E402
from intake.commissions import read_file, sync_commissions  # noqa: E402
from intake.raw import RawReport  # noqa: E402
from models.db import SessionFactory, create_engine, create_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.tables import Notification, NotificationStatus  # noqa: E402
from models.types import utcnow  # noqa: E402
from notify.mailmsg import message_bytes  # noqa: E402
from notify.service import build_worker, deliver_until  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "outbox.json"
COMMISSIONS = ROOT / "config" / "commissions.example.toml"
SINK = """
import asyncio, sys
from sandbox.smtp import SmtpSink
class Forgetful(SmtpSink):
    async def keep(self, received):
        pass  # counted by the senders; kept messages would only grow the heap
async def main():
    async with Forgetful(port=0) as sink:
        print(sink.port, flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""
REGIONS = ["AKM", "ALA", "AST", "SHY", "KAR", "PAV", "VKO", "ZKO"]


async def populate(sessions: SessionFactory, count: int, tmp: Path) -> None:
    ctx = IntakeContext(attachments_dir=tmp / "attachments", zone=load_settings().zone)
    for start in range(0, count, 100):
        async with sessions() as session:
            for index in range(start, min(count, start + 100)):
                raw = RawReport(
                    channel="telegram",
                    sender=f"77{index:06d}",
                    text=f"Обращение {index}: в партию записали людей без их ведома, участок {index}.",  # noqa: E501
                    region_hint=REGIONS[index % len(REGIONS)],
                    received_at=utcnow(),
                )
                await open_case(session, raw, ctx)
            await session.commit()
    async with sessions() as session:  # only the 2,000 email alerts are owed
        await session.exec(  # type: ignore[call-overload]
            delete(Notification).where(
                (col(Notification.kind) != "alert") | (col(Notification.channel) != "email")
            )
        )
        await session.commit()


async def reset(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Notification)
            .where(col(Notification.kind) == "alert", col(Notification.channel) == "email")
            .values(
                status=NotificationStatus.pending, attempts=0, lease_until=None, sent_at=None,
                next_attempt_at=utcnow(),
            )
        )  # fmt: skip
        await session.commit()


async def owed(sessions: SessionFactory) -> int:
    async with sessions() as session:
        rows = await session.exec(
            select(func.count()).where(
                col(Notification.kind) == "alert",
                col(Notification.channel) == "email",
                col(Notification.status) != NotificationStatus.sent,
            )
        )
        return int(rows.one())


async def run_outbox(settings: Any, sessions: SessionFactory, pipelined: bool) -> float:
    worker = build_worker(settings, sessions)
    worker.kinds = {"alert"}
    worker.channels = {"email": worker.channels["email"]}
    started = time.perf_counter()
    if pipelined:
        # Done when every message was accepted (counted in process: polling the store would
        # compete with the worker for SQLite's write lock) and every row is settled.
        stop = asyncio.Event()
        sent = DELIVERIES.labels("email", "alert", "sent")
        target = sent._value.get() + await owed(sessions)
        task = asyncio.create_task(deliver_until(worker, stop))
        while sent._value.get() < target:
            await asyncio.sleep(0.01)
        stop.set()
        await task
        elapsed = time.perf_counter() - started
        assert not await owed(sessions)
    else:
        worker.batch = 5
        await worker.drain(limit=10**9)
        elapsed = time.perf_counter() - started
        assert not await owed(sessions)
    await worker.close_channels()
    return elapsed


async def run_bare(port: int, messages: list[tuple[str, str, bytes]]) -> float:
    started = time.perf_counter()
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, use_tls=False, start_tls=False)
    await client.connect()
    for sender, recipient, data in messages:
        await client.sendmail(sender, [recipient], data)
    await client.quit()
    return time.perf_counter() - started


class Capture:
    """Records what the outbox sends in the first round: the bare sender's messages."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, bytes]] = []

    def install(self) -> None:
        from notify import smtp

        original = smtp.SmtpTransport.send

        async def send(transport: Any, message: Any, sender: str, recipient: str) -> Any:
            data = message if isinstance(message, bytes) else message_bytes(message)
            self.messages.append((sender, recipient, data))
            return await original(transport, message, sender, recipient)

        smtp.SmtpTransport.send = send  # type: ignore[method-assign]
        self.original = original

    def remove(self) -> None:
        from notify import smtp

        smtp.SmtpTransport.send = self.original  # type: ignore[method-assign]


async def measure(url: str, count: int, repeat: int, port: int, tmp: Path) -> dict[str, Any]:
    install_keyring(load_settings(ATTACHMENTS_DIR=tmp / "attachments").keyring())  # as open_store
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await sync_commissions(session, read_file(COMMISSIONS))
        await session.commit()
    started = time.perf_counter()
    await populate(sessions, count, tmp)
    populate_s = time.perf_counter() - started
    settings = load_settings(
        DATABASE_URL=url, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none",
        MAIL_FROM="Shagym <hotline@shagym.test>", ATTACHMENTS_DIR=tmp / "attachments",
    )  # fmt: skip
    capture = Capture()
    capture.install()
    await run_outbox(settings, sessions, pipelined=True)  # warm-up, and the bare's messages
    capture.remove()
    assert len(capture.messages) == count, len(capture.messages)
    runs: dict[str, list[float]] = {"bare": [], "outbox": [], "outbox_one_connection": []}
    for _ in range(repeat):
        runs["bare"].append(await run_bare(port, capture.messages))
        await reset(sessions)
        runs["outbox"].append(await run_outbox(settings, sessions, pipelined=True))
        await reset(sessions)
        runs["outbox_one_connection"].append(
            await run_outbox(settings.model_copy(update={"SMTP_CONNECTIONS": 1}), sessions, False)
        )
        await reset(sessions)
    await engine.dispose()
    medians = {name: statistics.median(times) for name, times in runs.items()}
    return {
        "messages": count,
        "smtp_connections": settings.SMTP_CONNECTIONS,
        "populate_s": round(populate_s, 2),
        **{f"{name}_s": round(value, 3) for name, value in medians.items()},
        **{f"{name}_msgs_per_s": round(count / value, 1) for name, value in medians.items()},
        "outbox_vs_bare": round(medians["bare"] / medians["outbox"], 3),
        "one_connection_vs_bare": round(medians["bare"] / medians["outbox_one_connection"], 3),
        "runs": {name: [round(t, 3) for t in times] for name, times in runs.items()},
    }


async def main(count: int, repeat: int, postgres: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "outbox",
        "target": "outbox >= 50% of bare aiosmtplib over one reused connection",
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            results["sqlite"] = await measure(url, count, repeat, port, Path(tmp))
        database = await create_database() if postgres else None
        if database is not None:
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    results["postgresql"] = await measure(
                        database[1], count, repeat, port, Path(tmp)
                    )
            finally:
                await drop_database(database[0])
    finally:
        sink.kill()
        sink.wait()
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    outcome = asyncio.run(main(args.messages, args.repeat, not args.no_postgres))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(outcome, indent=2, ensure_ascii=False))  # noqa: T201
