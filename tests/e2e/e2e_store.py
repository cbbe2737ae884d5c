"""Reading (and, between a kill and a restart, adjusting) the crash test's store from the test
process. SQLite in WAL mode lets these reads run beside the service's writes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import col, select

from bot.ledger import FINAL
from models.db import SessionFactory
from models.tables import Case, InboundEmail, Notification, Reporter, TelegramUpdate

UNSETTLED = ("pending", "sending")


def observer_engine(url: str) -> AsyncEngine:
    """An engine for watching the store: plain deferred transactions, so the test's reads
    (WAL) never take the write lock the service's writers queue for."""
    return create_async_engine(url, connect_args={"timeout": 30})


async def held_rows(sessions: SessionFactory) -> list[int]:
    """The outbox rows a killed worker held (claimed, maybe sent, not settled): a restart
    takes them again once their lease ends. Only called while no service runs."""
    async with sessions() as session:
        held = await session.exec(select(Notification.id).where(Notification.status == "sending"))
        return [number for number in held.all() if number is not None]


async def unfinished_senders(sessions: SessionFactory) -> set[int]:
    """Telegram users whose updates the ledger holds unfinished (in hand at a kill)."""
    async with sessions() as session:
        rows = await session.exec(
            select(TelegramUpdate.payload).where(col(TelegramUpdate.status).not_in(list(FINAL)))
        )
        senders = set()
        for payload in rows.all():
            for kind in ("message", "callback_query"):
                sender = (payload.get(kind) or {}).get("from", {}).get("id")
                if sender is not None:
                    senders.add(int(sender))
        return senders


@dataclass(frozen=True, slots=True)
class Progress:
    cases: int
    stored_emails: int
    unmoved_emails: int
    unsettled: int  # outbox rows pending or sending
    unfinished_updates: int


async def _count(sessions: SessionFactory, query) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int((await session.exec(query)).one())


async def progress(sessions: SessionFactory) -> Progress:
    return Progress(
        cases=await _count(sessions, select(func.count()).select_from(Case)),
        stored_emails=await _count(sessions, select(func.count()).select_from(InboundEmail)),
        unmoved_emails=await _count(
            sessions,
            select(func.count()).select_from(InboundEmail).where(InboundEmail.moved == False),  # noqa: E712
        ),
        unsettled=await _count(
            sessions,
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.status).in_(UNSETTLED)),
        ),
        unfinished_updates=await _count(
            sessions,
            select(func.count())
            .select_from(TelegramUpdate)
            .where(col(TelegramUpdate.status).not_in(list(FINAL))),
        ),
    )


async def stuck(sessions: SessionFactory) -> dict[str, object]:
    """What keeps the system from settling: for the failure message when it does not."""
    async with sessions() as session:
        rows = (
            await session.exec(
                select(Notification).where(col(Notification.status).in_(UNSETTLED)).limit(5)
            )
        ).all()
        updates = (
            await session.exec(
                select(TelegramUpdate)
                .where(col(TelegramUpdate.status).not_in(list(FINAL)))
                .limit(5)
            )
        ).all()
    return {
        "progress": await progress(sessions),
        "outbox": [
            (n.id, n.kind, n.channel, n.status, n.attempts, str(n.next_attempt_at), n.last_error)
            for n in rows
        ],
        "ledger": [(u.update_id, u.status, u.attempts, u.error) for u in updates],
    }


@dataclass(slots=True)
class Final:
    """Everything the assertions need, read once the service has stopped."""

    cases: list[tuple[Case, Reporter]]
    notifications: dict[int, Notification]
    inbound: list[InboundEmail]
    ledger: dict[str, int]  # status → rows


async def final_state(sessions: SessionFactory) -> Final:
    async with sessions() as session:
        cases = list(
            (
                await session.exec(
                    select(Case, Reporter).join(Reporter, col(Case.reporter_id) == Reporter.id)
                )
            ).all()
        )
        notifications = {n.id: n for n in (await session.exec(select(Notification))).all()}
        inbound = list((await session.exec(select(InboundEmail))).all())
        ledger = dict(
            (
                await session.exec(
                    select(TelegramUpdate.status, func.count()).group_by(TelegramUpdate.status)
                )
            ).all()
        )
    return Final(cases, notifications, inbound, ledger)  # type: ignore[arg-type]


CASE_NUMBER = re.compile(r"SH-\d{4}-\d{5,}")


def announced(text: str) -> list[str]:
    """The cases a group message with buttons announces: a case card names its case on its
    first line; a burst's "N new cases" message (over the group's rate limit) lists each."""
    found = CASE_NUMBER.search(text.split("\n", 1)[0])
    return [found.group()] if found else sorted(set(CASE_NUMBER.findall(text)))
