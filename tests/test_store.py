"""The case store on SQLite and PostgreSQL: opening cases, uniqueness, receipts, the outbox."""

from __future__ import annotations

from sqlmodel import func, select

from intake.attachments import read_attachment
from intake.cases import find_by_receipt, open_case
from intake.raw import RawAttachment, RawReport
from models.tables import Attachment, Case, Message, Notification, Receipt, Reporter


def report(text: str, sender: str = "citizen@example.kz", **kwargs) -> RawReport:
    return RawReport(channel="email", sender=sender, text=text, **kwargs)


async def test_it_opens_a_routed_case_with_thread_receipt_and_owed_notifications(
    sessions, intake_ctx
):
    async with sessions() as session:
        opened = await open_case(
            session,
            report("В Бурабайском районе Акмолинской области записали в партию без ведома"),
            intake_ctx,
        )
        await session.commit()
    async with sessions() as session:
        case = (await session.exec(select(Case))).one()
        assert case.number == opened.case.number and case.number.startswith("SH-")
        assert (case.region, case.district, case.commission_code) == (
            "AKM",
            "Бурабайский район",
            "AKM",
        )
        assert case.category == "fake_membership"
        assert case.due_at > case.created_at
        assert (await session.exec(select(func.count()).select_from(Message))).one() == 1
        kinds = sorted(
            (n.kind, n.channel) for n in (await session.exec(select(Notification))).all()
        )
        assert kinds == [("ack", "email"), ("alert", "email"), ("alert", "telegram")]


async def test_it_routes_an_unplaced_report_to_central_triage(sessions, intake_ctx):
    async with sessions() as session:
        opened = await open_case(session, report("Меня заставляют вступить в партию"), intake_ctx)
        await session.commit()
    assert opened.case.region is None
    assert opened.case.commission_code == "CENTRAL"


async def test_it_stores_the_receipt_code_only_hashed(sessions, intake_ctx):
    async with sessions() as session:
        opened = await open_case(session, report("Астанада дауыс сатып алды"), intake_ctx)
        await session.commit()
    async with sessions() as session:
        stored = (await session.exec(select(Receipt))).one()
        assert opened.receipt_code not in stored.code_hash
        assert len(opened.receipt_code) == 16 and opened.receipt_code.isdigit()
        found = await find_by_receipt(session, opened.receipt_code)
        assert found is not None and found.id == opened.case.id
        wrong = "0" * 16 if opened.receipt_code != "0" * 16 else "1" * 16
        assert await find_by_receipt(session, wrong) is None


async def test_it_cannot_verify_a_receipt_without_the_deployment_key(sessions, intake_ctx):
    from dataclasses import replace

    keyed = replace(intake_ctx, receipt_key=b"k" * 32)
    async with sessions() as session:
        opened = await open_case(session, report("В Павлодаре подкуп"), keyed)
        await session.commit()
    async with sessions() as session:
        assert await find_by_receipt(session, opened.receipt_code, b"k" * 32) is not None
        assert await find_by_receipt(session, opened.receipt_code) is None
        assert await find_by_receipt(session, opened.receipt_code, b"x" * 32) is None


async def test_it_keeps_one_reporter_per_channel_identity(sessions, intake_ctx):
    async with sessions() as session:
        await open_case(session, report("первое сообщение из Караганды"), intake_ctx)
        await open_case(session, report("второе сообщение из Караганды"), intake_ctx)
        await session.commit()
        assert (await session.exec(select(func.count()).select_from(Reporter))).one() == 1
        assert (await session.exec(select(func.count()).select_from(Case))).one() == 2


async def test_it_names_attachments_by_hash_never_by_the_senders_name(sessions, intake_ctx):
    hostile = "../../../etc/passwd"
    async with sessions() as session:
        await open_case(
            session,
            report(
                "фото из Шымкента", attachments=[RawAttachment(b"evidence", "image/jpeg", hostile)]
            ),
            intake_ctx,
        )
        await session.commit()
        attachment = (await session.exec(select(Attachment))).one()
    assert attachment.original_name == hostile
    assert ".." not in attachment.path and attachment.path.endswith(attachment.sha256)
    assert read_attachment(intake_ctx.attachments_dir, attachment.path) == b"evidence"
    assert not (intake_ctx.attachments_dir.parent / "etc").exists()


async def test_it_links_reports_sharing_a_phone_without_merging_them(sessions, intake_ctx):
    async with sessions() as session:
        first = await open_case(
            session, report("105 членов на номере 8 701 123 45 67", sender="a@x.kz"), intake_ctx
        )
        second = await open_case(
            session, report("все записаны на +7(701)1234567", sender="b@x.kz"), intake_ctx
        )
        third = await open_case(
            session, report("другая история без телефона", sender="c@x.kz"), intake_ctx
        )
        await session.commit()
    assert second.related == [first.case.id]
    assert first.case.id != second.case.id
    async with sessions() as session:
        clusters = {c.id: c.cluster_id for c in (await session.exec(select(Case))).all()}
    assert clusters[first.case.id] == clusters[second.case.id] == first.case.id
    assert clusters[third.case.id] is None
