"""Killing the service at random moments, and knowing when the system has settled.

Between a kill and the restart the test records what the kill caught: outbox rows claimed
and not settled (they may be delivered twice: at-least-once; a restart takes them again when
their lease, OUTBOX_LEASE_SECONDS, ends) and Telegram updates in hand (the ledger must replay
them).
"""

from __future__ import annotations

import asyncio
import contextlib
import random

from e2e_citizens import Citizen, report
from e2e_store import held_rows, progress, stuck, unfinished_senders
from e2e_system import Sandboxes, Shagym

from models.db import SessionFactory

UPTIME = (1.5, 7.0)  # seconds the service runs before a kill
CITIZEN_GAP = 0.2  # seconds between two citizens starting
MAIL_CHUNKS, MAIL_GAP = 10, 3.0
SETTLE_TIMEOUT = 360.0  # the groups' 20 cards a minute alone take about two


class Crashes:
    """Kills the service `kills` times at random moments (the third while the bot is inside
    handlers, its sendMessage calls held unanswered) and restarts it each time."""

    def __init__(self, shagym: Shagym, sessions: SessionFactory, rng: random.Random) -> None:
        self.shagym, self.sessions, self.rng = shagym, sessions, rng
        self.held: set[int] = set()  # outbox rows claimed and unsettled at a kill
        self.in_flight: set[int] = set()  # Telegram users with an update in hand at a kill

    async def run(self, kills: int) -> None:
        emu = self.shagym.world.emu
        for kill in range(kills):
            await asyncio.sleep(self.rng.uniform(*UPTIME))
            if kill == 2:
                emu.hold("sendMessage")
                with contextlib.suppress(TimeoutError):
                    await emu.wait_until(lambda: emu.held("sendMessage") >= 3, timeout=15)
            await self.shagym.kill()
            emu.release("sendMessage")
            self.held |= set(await held_rows(self.sessions))
            self.in_flight |= await unfinished_senders(self.sessions)
            await self.shagym.start()


async def citizens_report(world: Sandboxes, citizens: list[Citizen]) -> None:
    plays = []
    for citizen in citizens:
        plays.append(asyncio.create_task(report(world.emu, citizen)))
        await asyncio.sleep(CITIZEN_GAP)
    try:
        await asyncio.gather(*plays)
    finally:
        for play in plays:
            play.cancel()
        await asyncio.gather(*plays, return_exceptions=True)


async def mail_arrives(world: Sandboxes, emails: list[bytes]) -> None:
    size = -(-len(emails) // MAIL_CHUNKS)
    for start in range(0, len(emails), size):
        await asyncio.to_thread(world.dovecot.append, emails[start : start + size])
        await asyncio.sleep(MAIL_GAP)


async def _quiet(
    world: Sandboxes, sessions: SessionFactory, emails: int
) -> tuple[int, ...] | None:
    """None while anything is owed or unread; else what the emulator has done so far."""
    state = await progress(sessions)
    if (
        state.stored_emails < emails
        or state.unmoved_emails
        or state.unsettled
        or state.unfinished_updates
        or world.emu.pending_updates
        or await asyncio.to_thread(world.inbox)
    ):
        return None
    calls = sum(n for (method, _), n in world.emu.counts.items() if method != "getupdates")
    return (calls, len(world.sink.messages), state.cases)


async def settle(
    world: Sandboxes, sessions: SessionFactory, emails: int, citizens: asyncio.Task[None]
) -> None:
    """Until the store owes nothing, the mailbox is empty and every citizen has finished;
    or, when citizens still wait, until the system has been quiet for a whole poll (the
    service is another process, so its progress is polled): nothing more can come to them,
    and they are stopped."""
    before = None
    try:
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while True:
                now = await _quiet(world, sessions, emails)
                if now is not None and (citizens.done() or now == before):
                    break
                before = now
                await asyncio.sleep(1.0)
    except TimeoutError:
        state = await stuck(sessions)
        state |= {
            "inbox": await asyncio.to_thread(world.inbox),
            "unread updates": world.emu.pending_updates,
        }
        raise AssertionError(f"not settled in {SETTLE_TIMEOUT:.0f} s: {state}") from None
    finally:
        citizens.cancel()
        await asyncio.gather(citizens, return_exceptions=True)
