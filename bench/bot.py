"""Benchmark: simulated citizens completing reports with the bot, against the Bot API emulator.

Two bots run in turn, each in its own process so that its CPU time can be read alone, against
the same emulator (in this process, with the driver): ours (`bot.dispatcher.create_dispatcher`
on a SQLite store: the ledger, FSM in SQL, i18n, intake, a case per report) and a bare aiogram
echo bot (one handler, no store: the framework's floor). Each bot gets two phases:

* throughput: 200 citizens at once, each going through a whole report (8 updates: /report,
  category, region, place, description, Next, anonymous, Send) as fast as the bot answers;
* paced: 200 citizens arriving one after another, each taking about a second over each step,
  so that together they send 100 updates a second.

Latency is from the update entering the emulator's queue to the bot's next message in that
chat. CPU per update is the bot process's user+system time over the updates it handled.

    .venv/bin/python bench/bot.py            # writes bench/results/bot.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on the path, and this file would shadow the
# `bot` package; the project root goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sandbox.telegram import TelegramEmulator, UserDriver  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "bot.json"
TOKEN = "123456789:BENCH-token"
PLACE = "Бурабайский район, Щучинск"
TEXT = "На встрече в школе раздавали продуктовые пакеты тем, кто обещал голосовать. Номер {n}."


# -- the bots, run as child processes ---------------------------------------------------------


async def _serve_ours(api: str, workdir: Path, stop: asyncio.Event) -> None:
    from bot.api import make_bot
    from bot.dispatcher import create_dispatcher
    from bot.service import prepare_process, serve
    from core.crypto import install_keyring
    from core.settings import load_settings
    from intake.commissions import read_file, sync_commissions
    from models.db import create_engine, create_session_factory
    from models.migrate import upgrade

    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_session_factory(engine)
    async with sessions() as session:
        await sync_commissions(session, read_file(ROOT / "config" / "commissions.example.toml"))
        await session.commit()
    settings = load_settings(
        DATABASE_URL=url,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=api,
        ATTACHMENTS_DIR=workdir / "attachments",
    )
    install_keyring(settings.keyring())  # as shagym.store.open_store does
    prepare_process()  # as run_bot does: intake loaded, the heap frozen for the collector
    bot = make_bot(TOKEN, api)
    dp = create_dispatcher(settings=settings, sessions=sessions)
    try:
        await serve(dp, bot, stop)
    finally:
        await bot.session.close()
        await engine.dispose()


async def _serve_echo(api: str, workdir: Path, stop: asyncio.Event) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import CallbackQuery, Message

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "…")

    @dp.callback_query()
    async def pressed(callback: CallbackQuery) -> None:
        await callback.answer()

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    await stop.wait()
    await dp.stop_polling()
    await polling


def serve(kind: str, api: str, workdir: str) -> None:
    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        target = _serve_ours if kind == "ours" else _serve_echo
        await target(api, Path(workdir), stop)

    asyncio.run(run())


def _profile_on_signals(path: str) -> None:
    """In a bot process: SIGUSR1 starts a cProfile, SIGUSR2 writes it to `path`."""
    import cProfile

    profiler = cProfile.Profile()
    signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
    signal.signal(signal.SIGUSR2, lambda *_: (profiler.disable(), profiler.dump_stats(path)))


class BotProcess:
    def __init__(self, kind: str, api: str, workdir: Path) -> None:
        self.kind = kind
        command = [
            sys.executable,
            __file__,
            "--serve",
            kind,
            "--api",
            api,
            "--workdir",
            str(workdir),
        ]
        self.process = subprocess.Popen(command, cwd=ROOT)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


# -- the citizens -------------------------------------------------------------------------------

Act = Callable[[UserDriver], Awaitable[int]]
STARTS: list[float] = []  # when each update was sent (loop time), for the steady rate


@dataclass(frozen=True)
class Step:
    act: Act
    new_message: bool = False  # wait for a new message; else also an edit counts as the answer


def _press(data: str, new_message: bool = False) -> Step:
    return Step(lambda user: user.press(data=data), new_message)


def _say(text: str) -> Step:
    return Step(lambda user: user.send(text), True)


def report_steps(n: int) -> list[Step]:
    return [
        _say("/report"),
        _press("p:cat:vote_buying"),  # the question turns into the next one (an edit)
        _press("p:reg:AKM"),
        _say(PLACE),
        _say(TEXT.format(n=n)),
        _press("n:next"),
        _press("n:anonymous"),
        _press("n:send"),  # the summary turns into the confirmation with the receipt code
    ]


def echo_steps(n: int) -> list[Step]:
    return [_say(f"сообщение {step} от {n}") for step in range(8)]


async def citizen(
    user: UserDriver,
    steps: list[Step],
    think: float,
    latencies: dict[bool, list[float]],
    start_after: float = 0.0,
    ends_with_send: bool = True,
) -> None:
    """Act step by step, waiting for each answer; latencies of the Send step (the last, when
    `ends_with_send`) are kept apart from the others."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(start_after)
    for index, step in enumerate(steps):
        if think:
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))  # noqa: S311
        user.chat.skip()
        started = loop.time()
        await step.act(user)
        if step.new_message:
            await user.chat.next_message(timeout=120)
        else:
            await user.chat.next(timeout=120)
        is_send = ends_with_send and index == len(steps) - 1
        latencies[is_send].append(loop.time() - started)
        STARTS.append(started)


def _summary(latencies: list[float], elapsed: float, cpu: float | None) -> dict[str, Any]:
    latencies = sorted(latencies)
    updates = len(latencies)
    result = {
        "updates": updates,
        "seconds": round(elapsed, 2),
        "updates_per_second": round(updates / elapsed, 1),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p99": round(latencies[int(0.99 * (updates - 1))] * 1000, 1),
        "latency_ms_max": round(latencies[-1] * 1000, 1),
    }
    if cpu is not None:
        result["cpu_seconds"] = round(cpu, 2)
        result["cpu_ms_per_update"] = round(cpu / updates * 1000, 3)
    return result


async def _run(
    bot: BotProcess,
    work: list[tuple[UserDriver, list[Step]]],
    think: float,
    arrivals_per_second: float | None = None,
    ends_with_send: bool = True,
) -> tuple[dict[bool, list[float]], float, float]:
    latencies: dict[bool, list[float]] = {False: [], True: []}
    gap = 1 / arrivals_per_second if arrivals_per_second else 0.0
    cpu_before, started = bot.cpu_seconds(), time.perf_counter()
    await asyncio.gather(
        *(
            citizen(user, steps, think, latencies, index * gap, ends_with_send)
            for index, (user, steps) in enumerate(work)
        )
    )
    return latencies, time.perf_counter() - started, bot.cpu_seconds() - cpu_before


def _citizens(emu: TelegramEmulator, kind: str, count: int, first_id: int) -> list[Any]:
    builder = report_steps if kind == "ours" else echo_steps
    return [
        (emu.user(first_id + n, f"Гражданин {n}", language_code="ru"), builder(first_id + n))
        for n in range(count)
    ]


async def throughput(
    emu: TelegramEmulator, bot: BotProcess, citizens: int, first_id: int
) -> dict[str, Any]:
    """All citizens at once, as fast as the bot answers. The dialogue steps run first, then
    every citizen presses Send: the CPU of the two kinds of update is measured apart."""
    work = _citizens(emu, bot.kind, citizens, first_id)
    # BENCH_PROFILE=path profiles the dialogue steps of this phase in each bot process, into
    # path.ours and path.echo (BENCH_PROFILE_STEP=send: the Send step).
    profiled = os.environ.get("BENCH_PROFILE_STEP", "dialogue")
    profiling = bool(os.environ.get("BENCH_PROFILE")) and first_id == 10_000
    if profiling and profiled == "dialogue":
        bot.process.send_signal(signal.SIGUSR1)
    dialogue = await _run(bot, [(u, steps[:-1]) for u, steps in work], 0.0, None, False)
    if profiling:
        bot.process.send_signal(signal.SIGUSR2 if profiled == "dialogue" else signal.SIGUSR1)
    send = await _run(bot, [(u, steps[-1:]) for u, steps in work], 0.0)
    if profiling and profiled == "send":
        bot.process.send_signal(signal.SIGUSR2)
    elapsed, cpu = dialogue[1] + send[1], dialogue[2] + send[2]
    everything = dialogue[0][False] + send[0][True]
    result = {"citizens": citizens, **_summary(everything, elapsed, cpu)}
    result["completed_reports_per_second"] = round(citizens / elapsed, 2)
    result["dialogue_steps"] = _summary(dialogue[0][False], dialogue[1], dialogue[2])
    result["send_step"] = _summary(send[0][True], send[1], send[2])
    return result


async def paced(
    emu: TelegramEmulator,
    bot: BotProcess,
    citizens: int,
    think: float,
    first_id: int,
    rate: float,
) -> dict[str, Any]:
    """Citizens arriving one after another, so that together they send about `rate` updates a
    second, each taking `think` seconds (0.5-1.5x, at random) over each step. The rate is
    measured over the steady middle of the run, without the ramp up and down."""
    work = _citizens(emu, bot.kind, citizens, first_id)
    # Each citizen sends one update per `think` seconds: `rate` updates a second need a new
    # citizen every len(steps) / rate seconds.
    arrivals = rate / len(work[0][1])
    STARTS.clear()
    began = asyncio.get_running_loop().time()
    latencies, elapsed, cpu = await _run(bot, work, think, arrivals)
    # The steady part: the last 5 s of arrivals, when every citizen before is still busy.
    last_arrival = began + (citizens - 1) / arrivals
    window = [t for t in STARTS if last_arrival - 5 <= t <= last_arrival]
    result = {"citizens": citizens, **_summary(latencies[False] + latencies[True], elapsed, cpu)}
    result["offered_updates_per_second"] = rate
    result["updates_per_second_steady"] = round(len(window) / 5, 1)
    result["completed_reports_per_second"] = round(citizens / elapsed, 2)
    result["dialogue_steps"] = _summary(latencies[False], elapsed, None)
    if latencies[True]:
        result["send_step"] = _summary(latencies[True], elapsed, None)
    return result


async def run_bot(
    kind: str, citizens: int, paced_citizens: int, think: float, rate: float
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-bot-{kind}-") as workdir:
        async with TelegramEmulator(TOKEN, keep_calls=False) as emu:
            bot = BotProcess(kind, emu.base_url, Path(workdir))
            try:
                await emu.wait_until(
                    lambda: emu.polls > 0 or bot.process.poll() is not None, timeout=120
                )
                if bot.process.poll() is not None:
                    raise RuntimeError(f"the {kind} bot did not start")
                # Warm up: first-use costs (dictionaries, lazily built models) are not per update.
                await throughput(emu, bot, 5, 1_000)
                results = {
                    "throughput": await throughput(emu, bot, citizens, 10_000),
                    "paced": await paced(emu, bot, paced_citizens, think, 20_000, rate),
                }
            finally:
                bot.stop()
    return results


async def main(citizens: int, paced: int, think: float, rate: float) -> dict[str, Any]:
    ours = await run_bot("ours", citizens, paced, think, rate)
    echo = await run_bot("echo", citizens, paced, think, rate)
    ratio = ours["throughput"]["cpu_ms_per_update"] / echo["throughput"]["cpu_ms_per_update"]
    dialogue = (
        ours["throughput"]["dialogue_steps"]["cpu_ms_per_update"]
        / echo["throughput"]["dialogue_steps"]["cpu_ms_per_update"]
    )
    return {
        "benchmark": "bot",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "setup": {
            "citizens_throughput": citizens,
            "citizens_paced": paced,
            "think_seconds": think,
            "offered_updates_per_second": rate,
            "updates_per_report": 8,
            "store": "SQLite (WAL) in a temporary directory",
        },
        "ours": ours,
        "echo": echo,
        # Ours over echo, CPU per update: all updates, and the seven dialogue steps alone (the
        # eighth, Send, opens the case: intake's analysis and some twenty SQL statements).
        "cpu_per_update_ratio": round(ratio, 2),
        "cpu_per_update_ratio_dialogue": round(dialogue, 2),
        "targets": {
            "cpu_per_update_at_most_2x_echo": ratio <= 2.0,
            "cpu_per_dialogue_update_at_most_2x_echo": dialogue <= 2.0,
            "p99_under_250ms_at_100_updates_per_second": ours["paced"]["latency_ms_p99"] < 250
            and rate >= 100,
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", choices=["ours", "echo"], help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--paced", type=int, default=200)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    if args.serve:
        if os.environ.get("BENCH_PROFILE"):
            _profile_on_signals(f"{os.environ['BENCH_PROFILE']}.{args.serve}")
        serve(args.serve, args.api, args.workdir)
        sys.exit(0)
    result = asyncio.run(main(args.citizens, args.paced, args.think, args.rate))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))  # noqa: T201
