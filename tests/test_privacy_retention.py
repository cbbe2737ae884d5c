"""Retention with a moved clock: RETENTION_DAYS after closing, a case keeps only statistics."""

from __future__ import annotations

import datetime as dt

from mail_fixtures import HOTLINE, complaint
from sqlmodel import select

from intake.cases import IntakeContext, open_case
from intake.raw import RawAttachment, RawReport
from intake.retention import purge_store
from mail_ingest.config import IngestSettings
from mail_ingest.ingest import Item, Source, ingest_batch
from models.db import SessionFactory
from models.tables import Attachment, Case, CaseEntity, InboundEmail, Message, Reporter
from notify.clock import FakeClock

DAY = 24 * 3600.0
PHOTO = b"\x89PNG retention photo"


async def _cases(sessions: SessionFactory, ctx: IntakeContext) -> tuple[int, int]:
    """A closed case with a photo and a shared phone, and an open one of another citizen."""
    async with sessions() as session:
        closed = await open_case(session, RawReport(
            channel="telegram", sender="5551", contact_phone="+77015550123",
            text="В Астане раздают деньги, ИИН 900101300099",
            attachments=[RawAttachment(PHOTO, "image/png", "photo.png")],
        ), ctx)  # fmt: skip
        kept = await open_case(
            session, RawReport(channel="telegram", sender="5552", text="В Шымкенте давят"), ctx
        )
        await session.commit()
    assert closed.case.id and kept.case.id
    return closed.case.id, kept.case.id


async def _close(sessions: SessionFactory, case_id: int, at: dt.datetime) -> None:
    async with sessions() as session:
        case = await session.get_one(Case, case_id)
        case.status, case.resolution, case.closed_at = "resolved", "confirmed", at
        session.add(case)
        await session.commit()


async def _purge(sessions: SessionFactory, ctx: IntakeContext, clock: FakeClock, **kw):  # type: ignore[no-untyped-def]
    return await purge_store(
        sessions, now=clock.now(), days=365, attachments_dir=ctx.attachments_dir, **kw
    )


async def test_it_keeps_a_closed_case_whole_until_retention_has_passed(sessions, intake_ctx):
    clock = FakeClock()
    closed, _ = await _cases(sessions, intake_ctx)
    await _close(sessions, closed, clock.now())
    clock.advance(364 * DAY)
    assert (await _purge(sessions, intake_ctx, clock)).cases == []
    async with sessions() as session:
        assert (await session.get_one(Case, closed)).text.startswith("В Астане")


async def test_it_erases_personal_data_and_keeps_the_statistics(sessions, intake_ctx):
    clock = FakeClock()
    closed, kept = await _cases(sessions, intake_ctx)
    await _close(sessions, closed, clock.now())
    clock.advance(366 * DAY)
    done = await _purge(sessions, intake_ctx, clock)
    async with sessions() as session:
        case = await session.get_one(Case, closed)
        other = await session.get_one(Case, kept)
        texts = [m.text for m in (await session.exec(select(Message).where(Message.case_id == closed)))]
        entities = (await session.exec(select(CaseEntity).where(CaseEntity.case_id == closed))).all()
        files = (await session.exec(select(Attachment).where(Attachment.case_id == closed))).all()
        reporters = {r.address for r in (await session.exec(select(Reporter))).all()}
    assert len(done.cases) == 1 and done.files == 1
    assert (case.number, case.region, case.category, case.resolution) == (
        done.cases[0], "AST", case.category, "confirmed"
    )
    assert case.closed_at is not None and case.text == "" and case.entities == {}
    assert texts == [""] and list(entities) == [] and list(files) == []
    assert reporters == {None, "5552"}
    assert other.text == "В Шымкенте давят"
    assert not any(intake_ctx.attachments_dir.glob("??/??/*"))


async def test_it_says_what_it_would_erase_without_erasing(sessions, intake_ctx):
    clock = FakeClock()
    closed, _ = await _cases(sessions, intake_ctx)
    await _close(sessions, closed, clock.now())
    clock.advance(400 * DAY)
    dry = await _purge(sessions, intake_ctx, clock, dry_run=True)
    assert len(dry.cases) == 1 and dry.attachments == 1
    async with sessions() as session:
        assert (await session.get_one(Case, closed)).text != ""


async def test_it_erases_old_ignored_mail(sessions, intake_ctx):
    auto = complaint("Out of office", headers={"X-Loop": HOTLINE})
    settings = IngestSettings(intake=intake_ctx, our_address=HOTLINE, max_bytes=10**7)
    await ingest_batch(sessions, [Item(auto, Source("INBOX", 1, 9))], settings)
    clock = FakeClock()
    async with sessions() as session:
        statuses = [r.status for r in (await session.exec(select(InboundEmail))).all()]
    clock.advance(366 * DAY)
    done = await _purge(sessions, intake_ctx, clock)
    async with sessions() as session:
        left = (await session.exec(select(InboundEmail))).all()
    assert statuses == ["ignored"] and done.mail == 1 and list(left) == []
