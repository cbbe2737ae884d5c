"""Follow-up with a receipt code: the case's status and answers, and adding information."""

from __future__ import annotations

import time
from html import escape
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from babel.dates import format_date
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gate import Sessions
from bot.texts import due_text
from intake.cases import IntakeContext, append_to_case, find_by_receipt
from intake.raw import RawReport
from models.tables import (
    Case,
    CaseStatus,
    Channel,
    Commission,
    Direction,
    Message,
    Reporter,
)

SHOWN_ANSWERS = 5
ANSWER_PREVIEW = 1500


async def lookup(
    sessions: Sessions, code: str, language: str, ctx: IntakeContext
) -> tuple[Case, str] | None:
    """The case a receipt code opens and its status text, or None."""
    async with sessions() as session:
        case = await find_by_receipt(session, code, ctx.receipt_key)
        if case is None:
            return None
        return case, await status_text(session, case, language, ctx.zone)


async def case_of(
    sessions: Sessions, case_id: int | None, chat_id: int | None = None
) -> Case | None:
    """A case by id; with `chat_id`, only when that chat sent it."""
    if not case_id:
        return None
    async with sessions() as session:
        case = await session.get(Case, case_id)
        if case is None or chat_id is None:
            return case
        reporter = await session.get(Reporter, case.reporter_id) if case.reporter_id else None
    mine = (
        reporter is not None
        and reporter.channel == Channel.telegram
        and reporter.address == str(chat_id)
    )
    return case if mine else None


async def add_information(
    sessions: Sessions, case_id: int, raw: RawReport, ctx: IntakeContext
) -> Case | None:
    """Append to an open case once per update (`raw.external_id`); None when it is closed."""
    async with sessions() as session:
        case = await session.get(Case, case_id)
        if case is None or not is_open(case):
            return None
        seen = await session.exec(
            select(Message.id).where(col(Message.external_id) == raw.external_id)
        )
        if seen.first() is None:
            await append_to_case(session, case, raw, ctx)
            await session.commit()
        return case


def status_label(status: str) -> str:
    labels: dict[str, str] = {
        CaseStatus.new: _("received, waiting for the commission"),
        CaseStatus.assigned: _("being reviewed by the commission"),
        CaseStatus.answered: _("the commission has answered"),
        CaseStatus.resolved: _("closed"),
    }
    return labels.get(status, escape(status))


def is_open(case: Case) -> bool:
    return case.status != CaseStatus.resolved


async def status_text(session: AsyncSession, case: Case, language: str, zone: ZoneInfo) -> str:
    commission = await session.get(Commission, case.commission_code)
    answers = (
        await session.exec(
            select(Message)
            .where(Message.case_id == case.id, Message.direction == Direction.citizen_out)
            .order_by(col(Message.created_at).desc())
            .limit(SHOWN_ANSWERS)
        )
    ).all()
    lines = [
        _("<b>Case {number}</b>").format(number=escape(case.number)),
        _("Status: {status}").format(status=status_label(case.status)),
        _("Handled by: {commission}").format(
            commission=escape(commission.name if commission else case.commission_code)
        ),
        _("Answer due by: {due}").format(due=due_text(case.due_at, zone, language)),
        "",
    ]
    if not answers:
        lines.append(_("There is no answer yet."))
    else:
        lines.append(_("<b>Answers from the commission:</b>"))
        for answer in reversed(answers):
            when = format_date(answer.created_at.astimezone(zone).date(), "long", locale=language)
            body = (
                answer.text
                if len(answer.text) <= ANSWER_PREVIEW
                else answer.text[:ANSWER_PREVIEW] + "…"
            )
            lines += ["", f"<i>{escape(when)}</i>", escape(body)]
    return "\n".join(lines)


class LookupLimit:
    """At most `attempts` wrong codes per user in `window` seconds (each costs a slow hash)."""

    def __init__(self, attempts: int = 5, window: float = 900.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[int, list[float]] = {}

    def blocked_for(self, user_id: int) -> float:
        now = time.monotonic()
        recent = [t for t in self._failures.get(user_id, []) if now - t < self.window]
        self._failures[user_id] = recent
        if len(recent) < self.attempts:
            return 0.0
        return self.window - (now - recent[0])

    def failed(self, user_id: int) -> None:
        self._failures.setdefault(user_id, []).append(time.monotonic())
