"""Time to alert, measured from outside: a complaint appended to the hotline's mailbox on a
real Dovecot → its alert accepted by the commission's SMTP server (an aiosmtpd sink in this
process), with `shagym run --only mail,outbox` as a separate process in between (IMAP IDLE,
ingest, outbox), at a steady 20 and 50 complaints a second for ~30 s each.

Each complaint's Subject carries a token (`LAT-<rate>-<n>`) that the alert's Subject repeats;
the latency of a complaint is (sink accepted its alert) − (APPEND of it returned). The service
is started afresh for every rate and store, and is ready (`/readyz` answers 200) before the
first complaint. `--profile` records the service with py-spy during the 50/s run
(bench/results/alert_latency.<store>.pyspy.txt: the functions most often on the stack; the
collapsed stacks stay beside it as .pyspy.raw, not committed).

Usage: .venv/bin/python bench/alert_latency.py [--seconds 30] [--rates 20,50] [--no-postgres]
[--profile]. Writes bench/results/alert_latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import email.utils
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from throwaway_pg import create_database, drop_database  # noqa: E402

from sandbox.dovecot import Dovecot, free_port  # noqa: E402
from sandbox.smtp import Received, SmtpSink  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "alert_latency.json"
TOKEN = re.compile(r"LAT-\d+-\d+")
COMMISSION = "akm@example.kz"


class TimingSink(SmtpSink):
    """Keeps only when each alert to the commission was accepted, by its token."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alerts: dict[str, float] = {}

    async def keep(self, received: Received) -> None:
        at = time.time()
        if COMMISSION not in received.rcpt_tos:
            return
        head = received.data.split(b"\r\n\r\n", 1)[0]
        parsed = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.default)
        found = TOKEN.search(str(parsed["Subject"] or ""))
        if found:
            self.alerts.setdefault(found.group(0), at)


def complaint(token: str, index: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Citizen {index} <citizen{index}@example.kz>"
    message["To"] = "hotline@shagym.test"
    message["Subject"] = token
    message["Message-ID"] = f"<{token}.{uuid.uuid4().hex}@example.kz>"
    message["Date"] = email.utils.formatdate(localtime=False)
    message.set_content(
        f"Здравствуйте. В Акмолинской области, в Кокшетау, на участке {index} директор школы "
        "заставляет сотрудников вступать в партию и угрожает увольнением. Прошу проверить."
    )
    return message.as_bytes()


def append_steadily(
    server: Dovecot, rate: int, seconds: float, appended: dict[str, float]
) -> None:
    """APPEND `rate` complaints a second for `seconds`, on schedule (run in a thread)."""
    count = int(rate * seconds)
    with server.mailbox() as box:
        started = time.monotonic()
        for index in range(count):
            due = started + index / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            token = f"LAT-{rate}-{index:05d}"
            box.append(complaint(token, index), "INBOX")
            appended[token] = time.time()


async def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("shagym run exited before it was ready")
            try:
                async with client.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("shagym run was not ready in time")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def one_rate(
    url: str, rate: int, seconds: float, profile: Path | None, split: bool = False
) -> dict[str, Any]:
    """One service process running mail and outbox, or (`split`) one process for each role,
    as `deploy/` runs them: two interpreters, so two cores instead of one GIL."""
    with Dovecot.start() as server, tempfile.TemporaryDirectory() as tmp:
        sink = await TimingSink().start()
        metrics = free_port()
        base = {
            **os.environ,
            **{k: str(v) for k, v in server.settings().items()},
            "DATABASE_URL": url, "SMTP_HOST": sink.host, "SMTP_PORT": str(sink.port),
            "SMTP_SECURITY": "none", "MAIL_FROM": "Shagym <hotline@shagym.test>",
            "ATTACHMENTS_DIR": f"{tmp}/attachments", "METRICS_PORT": str(metrics),
            "COMMISSIONS_FILE": str(ROOT / "config" / "commissions.example.toml"),
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"), "IMAP_POLL_SECONDS": "1",
        }  # fmt: skip
        services: list[subprocess.Popen[bytes]] = []
        spy = None
        try:
            for roles in ["mail", "outbox"] if split else ["mail,outbox"]:
                port = free_port() if services else metrics
                env = {**base, "METRICS_PORT": str(port)}
                command = [sys.executable, "-m", "shagym", "run", "--only", roles]
                services.append(subprocess.Popen(command, cwd=tmp, env=env))
                await wait_ready(port, services[-1])  # the first made the keys the next reads
            service = services[0]
            if profile is not None:
                spy = subprocess.Popen(
                    [str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                     str(service.pid), "--format", "raw", "-o", str(profile), "-d",
                     str(int(seconds))],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            appended: dict[str, float] = {}
            writer = threading.Thread(
                target=append_steadily, args=(server, rate, seconds, appended)
            )
            writer.start()
            while writer.is_alive():
                await asyncio.sleep(0.1)
            last = time.monotonic()
            while len(sink.alerts) < len(appended) and time.monotonic() - last < 120:
                await asyncio.sleep(0.1)
            backlog_s = time.monotonic() - last
        finally:
            for each in services:  # the sink must keep answering while they say goodbye
                each.terminate()
            for each in services:
                await asyncio.to_thread(each.wait, 60)
            if spy is not None:
                await asyncio.to_thread(spy.wait, 60)
            await sink.stop()
    latencies = [sink.alerts[t] - at for t, at in appended.items() if t in sink.alerts]
    return {
        "processes": "mail | outbox" if split else "mail+outbox",
        "rate_per_s": rate,
        "complaints": len(appended),
        "alerts": len(latencies),
        "missing": len(appended) - len(latencies),
        "p50_s": round(percentile(latencies, 0.50), 3) if latencies else None,
        "p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
        "max_s": round(max(latencies), 3) if latencies else None,
        "mean_s": round(statistics.fmean(latencies), 3) if latencies else None,
        "drained_s_after_last_append": round(backlog_s, 2),
    }


def top_frames(raw: Path, count: int = 70) -> list[str]:
    """py-spy's raw (collapsed) stacks → the functions most often on the stack (inclusive)."""
    totals: dict[str, int] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, weight = line.rpartition(" ")
        samples += int(weight)
        for frame in set(stack.split(";")):
            totals[frame] = totals.get(frame, 0) + int(weight)
    ranked = sorted(totals.items(), key=lambda item: -item[1])[:count]
    return [f"{100 * n / max(1, samples):5.1f}%  {frame}" for frame, n in ranked]


async def measure(
    store: str, rates: list[int], seconds: float, profile: bool, split: bool = False
) -> list[Any]:
    runs = []
    for rate in rates:
        spied = (
            RESULTS.with_name(f"alert_latency.{store}.pyspy.raw")
            if profile and not split
            else None
        )
        if store == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/shagym.db"
                runs.append(
                    await one_rate(url, rate, seconds, spied if rate == rates[-1] else None, split)
                )  # noqa: E501
        else:
            database = await create_database()
            if database is None:
                return runs
            try:
                runs.append(
                    await one_rate(
                        database[1], rate, seconds, spied if rate == rates[-1] else None, split
                    )
                )  # noqa: E501
            finally:
                await drop_database(database[0])
        print(store, runs[-1], flush=True)  # noqa: T201
        if spied is not None and spied.exists() and rate == rates[-1]:
            top = top_frames(spied)
            spied.with_suffix(".txt").write_text("\n".join(top) + "\n")
    return runs


async def main(rates: list[int], seconds: float, postgres: bool, profile: bool) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "alert_latency",
        "target": "p50 <= 2 s, p99 <= 5 s at 50 complaints/s",
        "seconds_per_rate": seconds,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "sqlite": await measure("sqlite", rates, seconds, profile),
        "sqlite_two_processes": await measure("sqlite", rates, seconds, False, split=True),
    }
    if postgres:
        results["postgresql"] = await measure("postgresql", rates, seconds, profile)
        results["postgresql_two_processes"] = await measure(
            "postgresql", rates, seconds, False, split=True
        )
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rates", default="20,50")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    outcome = asyncio.run(main(rates, args.seconds, not args.no_postgres, args.profile))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(outcome, indent=2, ensure_ascii=False))  # noqa: T201
