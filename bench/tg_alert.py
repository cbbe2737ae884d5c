"""Time to alert on Telegram, measured from outside: a citizen's report completed with the bot
→ the card in the region's commission group accepted by the Bot API emulator, with the real
service roles in between (`shagym run --only bot,outbox`, or `--only bot` and `--only outbox`
as two processes, as deploy/ runs them), on SQLite and on PostgreSQL.

Citizens are spread over the 20 regions in turn and complete their reports in the emulator
(the dialogue of bench/bot.py; every `--free-every`-th one writes the report in one message,
the free-text path, and answers what the bot still asks). Their Send presses are paced: at
`rate` reports a second each group gets rate/20·60 alerts a minute, on a fixed schedule, so
that at 6/s every group stays at 18 a minute, under Telegram's ~20 (the emulator enforces the
limit with 429s, `limit_groups(20)`; a 429 served counts against the run).

The latency of a report is (the emulator accepted the sendMessage to the group whose text
names the case) − (the citizen's Send update entered the emulator); the case number is read
from the bot's confirmation. Every report must be named by exactly one group message (a card,
or an "N new cases" list when a group is crowded): the run counts the missing and the doubled.
Email alerts go to an aiosmtpd sink as they would to the commissions' mail servers.

Usage: .venv/bin/python bench/tg_alert.py [--seconds 60] [--rates 2,6] [--no-postgres]
[--layouts one,two]. Writes bench/results/tg_alert.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This folder goes after the project root: bench/bot.py must not shadow the `bot` package,
# while alert_latency and throwaway_pg are still found here.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path[:0] = [str(ROOT)]
sys.path.append(str(ROOT / "bench"))

from alert_latency import percentile, wait_ready  # noqa: E402
from throwaway_pg import create_database, drop_database  # noqa: E402

from bench.bot import TEXT  # noqa: E402
from sandbox.dovecot import free_port  # noqa: E402
from sandbox.smtp import Received, SmtpSink  # noqa: E402
from sandbox.telegram import TelegramEmulator, UserDriver  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "tg_alert.json"
TOKEN = "123456789:BENCH-token"
COMMISSIONS = ROOT / "config" / "commissions.example.toml"
NUMBER = re.compile(r"SH-\d{4}-\d+")
PLACE = "Школа № 12, актовый зал"  # names no region: bench/bot.py's would clash with most
LEAD_SECONDS = 4.0  # a citizen starts the dialogue this long before the Send is due
GROUP_LIMIT = 20  # Telegram's messages a minute to a group, enforced by the emulator


def regions() -> dict[str, int]:
    """Region code → its commission's group chat id, from the commissions file."""
    import tomllib

    spec = tomllib.loads(COMMISSIONS.read_text(encoding="utf-8"))
    return {c["region"]: int(c["telegram_chat_id"]) for c in spec["commissions"]}


class AlertEmulator(TelegramEmulator):
    """Keeps when each group message naming a case was accepted (monotonic clock)."""

    def __init__(self, groups: set[int], **kwargs: Any) -> None:
        super().__init__(TOKEN, keep_calls=False, **kwargs)
        self.groups = groups
        self.alerts: dict[str, list[float]] = {}
        self.group_messages = 0
        self.lists = 0  # "N new cases" messages (a crowded group's alerts together)

    def _log(self, method: str, params: dict[str, Any], status: int, response: Any) -> Any:
        if (
            status == 200
            and method.lower() == "sendmessage"
            and params.get("chat_id") in self.groups
        ):
            at = time.monotonic()
            self.group_messages += 1
            named = cases_named(params)
            self.lists += len(named) > 1
            for number in named:
                self.alerts.setdefault(number, []).append(at)
        return super()._log(method, params, status, response)


def cases_named(params: dict[str, Any]) -> list[str]:
    """The cases a group message is about: an "N new cases" list has a button per case, titled
    with its number; a card leads with its case's number (others it names are related ones)."""
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    titles = [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]
    listed = [t for t in titles if NUMBER.fullmatch(t)]
    if listed:
        return listed
    first = NUMBER.search(str(params.get("text") or ""))
    return [first.group(0)] if first else []


class QuietSink(SmtpSink):
    """The commissions' mail servers: email alerts are accepted and counted, not kept."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accepted = 0

    async def keep(self, received: Received) -> None:
        self.accepted += 1


# -- the citizens -------------------------------------------------------------------------------


async def _press(user: UserDriver, data: str) -> None:
    user.chat.skip()
    await user.press(data=data)
    await user.chat.next(timeout=60)


async def _say(user: UserDriver, text: str) -> None:
    user.chat.skip()
    await user.send(text)
    await user.chat.next_message(timeout=60)


async def dialogue(user: UserDriver, region: str, n: int) -> None:
    """bench/bot.py's report, in `region` and a place in no particular one, up to the summary
    (Send not pressed)."""
    await _say(user, "/report")
    await _press(user, "p:cat:vote_buying")
    await _press(user, f"p:reg:{region}")
    await _say(user, PLACE)
    await _say(user, TEXT.format(n=n))
    await _press(user, "n:next")
    await _press(user, "n:anonymous")


FREE_TEXT = (
    "Здравствуйте. Вчера на собрании в школе директор раздавал продуктовые пакеты тем, кто "
    "пообещал голосовать за нужного кандидата. Обращение {n}."
)


async def free_text(user: UserDriver, region: str, n: int) -> None:
    """One message with the whole report; then whatever the bot still asks (the text names no
    region, so at least the region), up to the summary."""
    await _say(user, FREE_TEXT.format(n=n))
    for _ in range(8):
        last = user.chat.last
        rows = ((last.reply_markup or {}) if last else {}).get("inline_keyboard", [])
        data = [b.get("callback_data", "") for row in rows for b in row]
        if "n:send" in data:
            return
        if any(d.startswith("p:cat:") for d in data):
            await _press(user, "p:cat:vote_buying")
        elif any(d.startswith("p:reg:") for d in data):
            await _press(user, f"p:reg:{region}")
            await asyncio.sleep(0.05)  # the next question follows the closed one
        elif "n:skip_place" in data:
            await _press(user, "n:skip_place")
        elif "n:anonymous" in data:
            await _press(user, "n:anonymous")
        elif "n:next" in data:
            await _press(user, "n:next")
        else:
            await user.chat.next(timeout=60)
    raise RuntimeError(f"the free-text report did not reach the summary: {data}")


async def citizen(
    user: UserDriver, region: str, n: int, free: bool, due: float, sent: dict[str, float]
) -> None:
    """Complete a report, press Send at `due` (monotonic), keep when by the case number."""
    await (free_text if free else dialogue)(user, region, n)
    pause = due - time.monotonic()
    if pause > 0:
        await asyncio.sleep(pause)
    user.chat.skip()
    at = time.monotonic()
    await user.press(data="n:send")
    confirmation = await user.chat.next(timeout=60)
    found = NUMBER.search(confirmation.text)
    if found is None:
        raise RuntimeError(f"no case number in the confirmation: {confirmation.text[:80]}")
    sent[found.group(0)] = at


# -- the service --------------------------------------------------------------------------------


async def start_service(
    url: str, api: str, sink: SmtpSink, tmp: str, split: bool
) -> list[subprocess.Popen[bytes]]:
    metrics = free_port()
    base = {
        **os.environ,
        "DATABASE_URL": url, "BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api,
        "SMTP_HOST": sink.host, "SMTP_PORT": str(sink.port), "SMTP_SECURITY": "none",
        "MAIL_FROM": "Shagym <hotline@shagym.test>", "ATTACHMENTS_DIR": f"{tmp}/attachments",
        "COMMISSIONS_FILE": str(COMMISSIONS),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }  # fmt: skip
    services: list[subprocess.Popen[bytes]] = []
    for roles in ["bot", "outbox"] if split else ["bot,outbox"]:
        port = free_port() if services else metrics
        env = {**base, "METRICS_PORT": str(port)}
        command = [sys.executable, "-m", "shagym", "run", "--only", roles]
        services.append(subprocess.Popen(command, cwd=tmp, env=env))
        await wait_ready(port, services[-1])  # the first made the keys the next reads
    return services


async def stop_service(services: list[subprocess.Popen[bytes]]) -> None:
    for each in services:  # the emulator and the sink keep answering while they say goodbye
        each.terminate()
    for each in services:
        await asyncio.to_thread(each.wait, 60)


def summary(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"p50_s": None, "p95_s": None, "p99_s": None, "max_s": None, "mean_s": None}
    return {
        "p50_s": round(percentile(latencies, 0.50), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "p99_s": round(percentile(latencies, 0.99), 3),
        "max_s": round(max(latencies), 3),
        "mean_s": round(statistics.fmean(latencies), 3),
    }


async def one_run(
    url: str, rate: float, seconds: float, split: bool, free_every: int
) -> dict[str, Any]:
    codes = regions()
    with tempfile.TemporaryDirectory() as tmp:
        emu = AlertEmulator(set(codes.values()))
        await emu.start()
        emu.limit_groups(GROUP_LIMIT)
        for chat_id in codes.values():
            emu.group(chat_id, "Commission")
        sink = QuietSink()
        await sink.start()
        services: list[subprocess.Popen[bytes]] = []
        try:
            services = await start_service(url, emu.base_url, sink, tmp, split)
            # Warm up: one report per region (the first loads dictionaries and models); one
            # message of each group's minute.
            warm: dict[str, float] = {}
            now = time.monotonic()
            await asyncio.gather(
                *(
                    citizen(emu.user(900 + i, "Гражданин"), code, i, False, now, warm)
                    for i, code in enumerate(codes)
                )
            )
            await _until(lambda: all(n in emu.alerts for n in warm), 60)
            await asyncio.sleep(2)
            base_alerts = dict(emu.alerts)
            count = int(rate * seconds)
            order = list(codes)
            start = time.monotonic() + LEAD_SECONDS
            sent: dict[str, float] = {}
            tasks = []
            for k in range(count):
                due = start + k / rate
                region = order[k % len(order)]
                free = is_free(k, free_every)
                user = emu.user(10_000 + k, f"Гражданин {k}")
                tasks.append(asyncio.create_task(_later(due - LEAD_SECONDS, citizen(
                    user, region, k, free, due, sent))))  # fmt: skip
            await asyncio.gather(*tasks)
            last = time.monotonic()
            await _until(lambda: all(n in emu.alerts for n in sent), 120)
            drained = time.monotonic() - last
            await asyncio.sleep(2)  # a doubled message would come now
        finally:
            await stop_service(services)
            await sink.stop()
            await emu.stop()
    alerts = {n: at for n, at in emu.alerts.items() if n not in base_alerts}
    latencies = [alerts[n][0] - at for n, at in sent.items() if n in alerts]
    extra = sorted(set(alerts) - set(sent))
    return {
        "processes": "bot | outbox" if split else "bot+outbox",
        "rate_per_s": rate,
        "alerts_per_group_per_minute": round(rate / len(codes) * 60, 1),
        "reports": len(sent),
        "free_text_reports": sum(1 for k in range(count) if is_free(k, free_every)),
        "alerted": len(latencies),
        "missing": len(sent) - len(latencies),
        "doubled": sum(1 for n in sent if len(alerts.get(n, [])) > 1),
        "unexpected": len(extra),
        "group_messages": emu.group_messages,
        "new_cases_lists": emu.lists,
        "served_429": emu.served_errors.get(429, 0),
        "email_alerts": sink.accepted,
        **summary(latencies),
        "drained_s_after_last_send": round(drained, 2),
    }


def is_free(k: int, free_every: int) -> bool:
    """Every `free_every`-th citizen writes the report in one message (0: none does)."""
    return free_every > 0 and k % free_every == free_every - 1


async def _later(at: float, work: Any) -> None:
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    await work


async def _until(done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def measure(
    store: str, rates: list[float], seconds: float, split: bool, free_every: int
) -> list[dict[str, Any]]:
    runs = []
    for rate in rates:
        if store == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/shagym.db"
                runs.append(await one_run(url, rate, seconds, split, free_every))
        else:
            database = await create_database()
            if database is None:
                return runs
            try:
                runs.append(await one_run(database[1], rate, seconds, split, free_every))
            finally:
                await drop_database(database[0])
        print(store, json.dumps(runs[-1]), flush=True)  # noqa: T201
    return runs


async def main(
    rates: list[float], seconds: float, postgres: bool, layouts: list[str], free_every: int
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "benchmark": "tg_alert",
        "target": "p99 <= 2 s from the citizen's Send to the group's alert, groups under limits",
        "seconds_per_rate": seconds,
        "free_text_every": free_every,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }
    stores = ["sqlite", "postgresql"] if postgres else ["sqlite"]
    for store in stores:
        for layout in layouts:
            key = store if layout == "one" else f"{store}_two_processes"
            results[key] = await measure(store, rates, seconds, layout == "two", free_every)
    runs = [run for store in stores for layout in layouts
            for run in results[store if layout == "one" else f"{store}_two_processes"]]  # fmt: skip
    results["met"] = bool(runs) and all(
        r["p99_s"] is not None and r["p99_s"] <= 2.0 and not r["missing"] and not r["doubled"]
        and not r["served_429"] for r in runs
    )  # fmt: skip
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rates", default="2,6")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--layouts", default="one,two")
    parser.add_argument("--free-every", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    layouts = args.layouts.split(",")
    outcome = asyncio.run(
        main(rates, args.seconds, not args.no_postgres, layouts, args.free_every)
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(outcome, indent=2, ensure_ascii=False))  # noqa: T201
