"""What one parsed message does to the store: a new case, a follow-up, a commission's answer,
a bounce recorded on the notification it returns, or nothing (with the reason).

Mail from robots and lists (auto-replies, list mail, our own mail, delivery reports) opens no
case, owes nothing and alerts no one: it is stored as `ignored`, with its reason, and a person
may promote it (`decide(..., promoted=True)`), after which it is judged as a person's mail.

Runs inside the caller's transaction; it never commits and never sends anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from core.crypto import keyed_hash
from intake.answers import record_commission_answer
from intake.cases import (
    IntakeContext,
    add_attachments,
    append_to_case,
    find_by_number,
    open_case,
    remember_commissions,
    write_deferred,
)
from intake.cleanup import clean
from intake.forget import case_to_forget, forget_contact
from mail_ingest.config import IngestSettings
from mail_ingest.parser import ParsedEmail
from mail_ingest.rules import ack_refusal, automatic_reason, is_our_loop, robot_reason
from models.outbox import message_id_for, notification_id_from_message_id
from models.tables import Case, Channel, Commission, Direction, Notification, NotificationKind
from models.tables import NotificationStatus as NS
from models.types import utcnow

log = logging.getLogger(__name__)
ACK_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Decision:
    status: str  # created | appended | ignored
    case: Case | None = None
    reason: str | None = None
    acknowledged: str | None = None  # the address an acknowledgement is now owed to
    forgotten: bool = False  # the citizen asked to forget their contact: keep no raw bytes


@dataclass(frozen=True, slots=True)
class Oversize:
    size: int
    limit: int


@dataclass(slots=True)
class Context:
    """What every message of a batch is judged against."""

    intake: IntakeContext
    our_address: str
    commission_by_address: dict[str, Commission]
    acknowledge: bool = True
    # Addresses acknowledged within ACK_WINDOW, when read up front for a whole batch (see
    # `load_recent_acks`); None: ask the store for each message.
    recent_acks: set[str] | None = None

    @classmethod
    async def load(cls, session: AsyncSession, settings: IngestSettings) -> Context:
        by_address = {}
        commissions = (await session.exec(select(Commission))).all()
        for commission in commissions:
            for address in commission.emails:
                by_address[address.strip().lower()] = commission
        remember_commissions(session, commissions)
        return cls(settings.intake, settings.our_address, by_address, settings.acknowledge)

    async def load_recent_acks(self, session: AsyncSession, senders: Sequence[str]) -> None:
        """Which of a batch's senders were acknowledged lately: one query for the batch."""
        self.recent_acks = set()
        wanted = sorted({keyed_hash(sender) for sender in senders})
        for start in range(0, len(wanted), 500):
            found = await session.exec(
                _recent_acks_query().where(
                    col(Notification.recipient_hash).in_(wanted[start : start + 500])
                )
            )
            self.recent_acks.update(found)

    def acknowledged(self, decision: Decision) -> None:
        """Note an acknowledgement the batch now owes (call once its message is stored)."""
        if self.recent_acks is not None and decision.acknowledged:
            self.recent_acks.add(keyed_hash(decision.acknowledged))


async def our_notification(session: AsyncSession, message_id: str) -> Notification | None:
    """The notification a Message-ID of ours names, if the id is genuinely ours (not guessed)."""
    number = notification_id_from_message_id(message_id)
    notification = await session.get(Notification, number) if number else None
    if notification is None:
        return None
    domain = message_id.rsplit("@", 1)[-1].rstrip(">")
    return notification if message_id_for(notification, domain) == message_id else None


async def _bounce(session: AsyncSession, parsed: ParsedEmail) -> Decision:
    report = parsed.delivery_report
    assert report is not None
    marked = []
    for message_id in parsed.returns:
        notification = await our_notification(session, message_id)
        if notification is None:
            continue
        marked.append(str(notification.id))
        if report.failed and notification.status != NS.dead:
            notification.status = NS.dead
            notification.last_error = f"bounced: {report.describe()}"
            session.add(notification)
    if not marked:
        return Decision("ignored", reason=f"delivery report not about our mail: {report.kind}")
    what = "bounce" if report.failed else f"{report.kind} ({report.action or 'no action'})"
    return Decision("ignored", reason=f"{what} of notification {', '.join(marked)}")


async def _target_case(session: AsyncSession, parsed: ParsedEmail) -> Case | None:
    for message_id in parsed.replies_to:
        notification = await our_notification(session, message_id)
        if notification is not None and notification.case_id is not None:
            return await session.get(Case, notification.case_id)
    for number in parsed.case_numbers:
        case = await find_by_number(session, number)
        if case is not None:
            return case
    return None


async def _answer(
    session: AsyncSession, parsed: ParsedEmail, case: Case, commission: Commission, ctx: Context
) -> Decision:
    raw = parsed.report
    actor = f"email:{commission.code}"
    if commission.code != case.commission_code and not commission.is_central:
        # Another region's commission writing about a case it does not own: kept, not relayed.
        await append_to_case(
            session, case, raw, ctx.intake, direction=Direction.commission_note, author=actor
        )
        return Decision("appended", case, f"note from commission {commission.code}")
    text = clean(raw.text, raw.html).text or raw.subject or ""
    message = await record_commission_answer(
        session, case, text, actor=actor, via=Channel.email, external_id=raw.external_id
    )
    await add_attachments(session, case, message, raw, ctx.intake.attachments_dir)
    return Decision("appended", case, f"answer from commission {commission.code}")


def _recent_acks_query() -> SelectOfScalar[str]:
    """Recipients (their keyed hashes) of email acknowledgements owed within ACK_WINDOW."""
    return select(Notification.recipient_hash).where(
        Notification.kind == NotificationKind.ack,
        Notification.channel == Channel.email,
        col(Notification.created_at) >= utcnow() - ACK_WINDOW,
    )


async def acknowledged_recently(session: AsyncSession, recipient: str) -> bool:
    """An acknowledgement to this address was already owed within the last day."""
    found = await session.exec(
        _recent_acks_query().where(Notification.recipient_hash == keyed_hash(recipient)).limit(1)
    )
    return found.first() is not None


async def _open(
    session: AsyncSession, parsed: ParsedEmail, ctx: Context, oversize: Oversize | None
) -> Decision:
    refusal = ack_refusal(parsed.headers, ctx.our_address)
    if refusal is None and not ctx.acknowledge:
        refusal = "acknowledgements off for this import"
    sender = parsed.report.sender
    if refusal is None and await _acknowledged_recently(session, sender, ctx):
        refusal = "already acknowledged to this sender today"
    opened = await open_case(session, parsed.report, ctx.intake, acknowledge=refusal is None)
    if oversize is not None and refusal is None:
        await _note_oversize(session, opened.case, oversize)
    reason = f"not acknowledged: {refusal}" if refusal else None
    return Decision("created", opened.case, reason, acknowledged=None if refusal else sender)


async def _acknowledged_recently(session: AsyncSession, sender: str, ctx: Context) -> bool:
    if ctx.recent_acks is not None:
        return keyed_hash(sender) in ctx.recent_acks
    return await acknowledged_recently(session, sender)


async def _note_oversize(session: AsyncSession, case: Case, oversize: Oversize) -> None:
    """Tell the sender, through the acknowledgement, that only the headers were received."""
    await write_deferred(session)  # the acknowledgement may be held back for the batch
    ack = (
        await session.exec(
            select(Notification).where(
                Notification.case_id == case.id, Notification.kind == NotificationKind.ack
            )
        )
    ).first()
    if ack is not None:
        ack.payload = {
            **ack.payload,
            "too_large": {"size": oversize.size, "limit": oversize.limit},
        }
        session.add(ack)


def opens_case(parsed: ParsedEmail, ctx: Context) -> bool:
    """Whether `decide` will open a case for this message, as far as the message itself tells:
    not a robot's or a list's, not a delivery report, naming no case. A message naming a case
    that does not exist opens one too; this says no for it (a batch then upserts its reporter
    apart)."""
    return not (
        robot_reason(parsed.headers, ctx.our_address)
        or parsed.delivery_report is not None
        or parsed.replies_to
        or parsed.case_numbers
    )


async def decide(
    session: AsyncSession,
    parsed: ParsedEmail,
    ctx: Context,
    oversize: Oversize | None = None,
    *,
    promoted: bool = False,
) -> Decision:
    """Act on one message; see the module docstring. `promoted`: a person decided that this
    ignored message is a real report, so nothing about robots applies (the acknowledgement
    rules still do)."""
    headers = parsed.headers
    if not promoted and is_our_loop(headers, ctx.our_address):
        return Decision("ignored", reason="mail loop: our own X-Loop")
    if not promoted and parsed.delivery_report is not None:
        return await _bounce(session, parsed)
    robot = None if promoted else robot_reason(headers, ctx.our_address)
    forget = (
        None
        if robot
        else await case_to_forget(session, parsed.report.text, ctx.intake.receipt_key)
    )
    if forget is not None:
        await forget_contact(session, forget)
        return Decision("ignored", forget, "the citizen asked to forget their contact",
                        forgotten=True)  # fmt: skip
    case = await _target_case(session, parsed)
    if case is None:
        if robot:
            return Decision("ignored", reason=robot)
        return await _open(session, parsed, ctx, oversize)
    automatic = None if promoted else automatic_reason(headers)
    if automatic:
        return Decision("ignored", case, f"automatic reply about a case ({automatic})")
    commission = ctx.commission_by_address.get(parsed.report.sender)
    if commission is not None:  # a commission's list address still answers
        return await _answer(session, parsed, case, commission, ctx)
    if robot:
        return Decision("ignored", case, f"{robot} about a case")
    await append_to_case(session, case, parsed.report, ctx.intake)
    return Decision("appended", case, "follow-up")
