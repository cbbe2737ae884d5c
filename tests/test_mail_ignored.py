"""Mail from robots and lists opens no case, owes nothing, alerts no one, and is kept raw in the
ignored list, from which a person may promote it into a case (issue 12, item 5).

Over real message bytes: the builder's, hand-written robot mail in tests/data/robots and real
messages of the vendored imap-tools corpus; on SQLite and PostgreSQL through `ingest_batch`.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import mail_fixtures
import pytest
from mail_fixtures import (
    CORPUS,
    HOTLINE,
    ROOT,
    complaint,
    count,
    folder_state,
    mail_settings,
    snapshot,
)
from sqlmodel import select

from intake.cases import IntakeContext
from mail_ingest.config import IngestSettings
from mail_ingest.ignored import list_ignored, promote
from mail_ingest.ingest import Item, Outcome, Source, ingest_batch
from mail_ingest.service import MailService
from models.db import SessionFactory
from models.outbox import message_id_for
from models.tables import AuditLog, Case, InboundEmail, Message, Notification, Reporter

ROBOTS = ROOT / "tests" / "data" / "robots"
REAL = CORPUS / "imap_tools"
KARAGANDA = "В Караганде на собрании заставляли вступать в партию, угрожали увольнением."
ACTOR = "cli:tester"


def config(ctx: IntakeContext) -> IngestSettings:
    return IngestSettings(intake=ctx, our_address=HOTLINE, max_bytes=25 * 1024 * 1024)


async def ingest(sessions: SessionFactory, ctx: IntakeContext, *raws: bytes) -> list[Outcome]:
    return await ingest_batch(sessions, [Item(raw, Source("test")) for raw in raws], config(ctx))


async def owed(sessions: SessionFactory, kind: str | None = None) -> int:
    where = [Notification.kind == kind] if kind else []
    return await count(sessions, Notification, *where)


ROBOT_HEADERS = [
    ({"Auto-Submitted": "auto-replied"}, {}, "Auto-Submitted"),
    ({"Auto-Submitted": "auto-generated (vacation)"}, {}, "Auto-Submitted"),
    ({"X-Autoreply": "yes"}, {}, "X-Autoreply"),
    ({"X-Autorespond": "Out of office"}, {}, "X-Autorespond"),
    ({"Precedence": "auto_reply"}, {}, "Precedence: auto_reply"),
    ({"Precedence": "bulk"}, {}, "Precedence: bulk"),
    ({"Precedence": "junk"}, {}, "Precedence: junk"),
    ({"Precedence": "list"}, {}, "Precedence: list"),
    ({"List-Id": "Party news <news.party.kz>"}, {}, "List-Id"),
    ({"List-Unsubscribe": "<mailto:leave@lists.kz>"}, {}, "List-Unsubscribe"),
    ({"X-Loop": HOTLINE}, {}, "X-Loop"),
    ({}, {"sender": f"Shagym <{HOTLINE}>"}, "our own address"),
]


@pytest.mark.parametrize(
    ("headers", "extra", "why"), ROBOT_HEADERS, ids=[why for *_, why in ROBOT_HEADERS]
)
async def test_it_opens_no_case_for_robot_or_list_mail(
    sessions, intake_ctx, headers, extra, why
) -> None:
    raw = complaint(KARAGANDA, headers=headers, **extra)
    [outcome] = await ingest(sessions, intake_ctx, raw)
    assert (outcome.status, outcome.case) == ("ignored", None)
    assert why in (outcome.reason or "")
    assert await count(sessions, Case) == 0 and await owed(sessions) == 0
    assert await count(sessions, Reporter) == 0
    async with sessions() as session:
        row = (await session.exec(select(InboundEmail))).one()
    assert row.raw == raw and row.sha256 == hashlib.sha256(raw).hexdigest()
    assert row.status == "ignored" and row.reason == outcome.reason


@pytest.mark.parametrize("value", ["no", "No (a person wrote this)"])
async def test_it_opens_a_case_when_auto_submitted_says_no(sessions, intake_ctx, value) -> None:
    [outcome] = await ingest(
        sessions, intake_ctx, complaint(KARAGANDA, headers={"Auto-Submitted": value})
    )
    assert outcome.status == "created" and await owed(sessions, "ack") == 1


ROBOT_FILES = [
    ROBOTS / "vacation_ru.eml",
    ROBOTS / "newsletter_kk.eml",
    REAL / "error_emails" / "empty_in_reply_to.eml",  # List-Id
    REAL / "error_emails" / "bad_date_header.eml",  # Precedence: junk
    REAL / "mime_emails" / "raw_email_with_mimepart_without_content_type.eml",  # auto-generated
    REAL / "multipart_report_emails" / "report_530.eml",  # a delivery report, not about ours
    REAL / "multipart_report_emails" / "multi_address_bounce1.eml",
]


@pytest.mark.parametrize("path", ROBOT_FILES, ids=[p.name for p in ROBOT_FILES])
async def test_it_ignores_real_robot_mail(sessions, intake_ctx, path: Path) -> None:
    [outcome] = await ingest(sessions, intake_ctx, path.read_bytes())
    assert (outcome.status, outcome.case) == ("ignored", None) and outcome.reason
    assert await count(sessions, Case) == 0 and await owed(sessions) == 0


async def test_a_batch_opens_cases_only_for_the_people_in_it(sessions, intake_ctx) -> None:
    outcomes = await ingest(
        sessions,
        intake_ctx,
        (ROBOTS / "vacation_ru.eml").read_bytes(),
        complaint(KARAGANDA),
        (ROBOTS / "newsletter_kk.eml").read_bytes(),
    )
    assert [o.status for o in outcomes] == ["ignored", "created", "ignored"]
    assert await count(sessions, Case) == 1 and await count(sessions, Reporter) == 1
    assert await owed(sessions, "ack") == 1


async def test_it_ignores_list_mail_about_a_case_from_anyone_but_a_commission(
    sessions, intake_ctx
) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(KARAGANDA))
    alerts = await owed(sessions, "alert")
    digest = complaint(
        "Обзор обращений за неделю.", subject=f"[news] {first.case}", headers={"List-Id": "<n.kz>"}
    )
    [outcome] = await ingest(sessions, intake_ctx, digest)
    assert (outcome.status, outcome.case) == ("ignored", first.case)
    assert await count(sessions, Message) == 1 and await owed(sessions, "alert") == alerts


async def test_a_commission_answering_through_its_list_is_still_an_answer(
    sessions, intake_ctx
) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(KARAGANDA))
    answer = complaint(
        "Проверка назначена.",
        sender="kar@example.kz",
        subject=f"Re: {first.case}",
        headers={"List-Id": "<kar.example.kz>", "Precedence": "list"},
    )
    [outcome] = await ingest(sessions, intake_ctx, answer)
    assert outcome.status == "appended" and outcome.reason == "answer from commission KAR"


async def test_a_bounce_still_marks_the_failed_delivery(sessions, intake_ctx) -> None:
    from test_mail_ingest import bounce_of

    await ingest(sessions, intake_ctx, complaint(KARAGANDA))
    async with sessions() as session:
        ack = (await session.exec(select(Notification).where(Notification.kind == "ack"))).one()
    [outcome] = await ingest(sessions, intake_ctx, bounce_of(message_id_for(ack, "hotline.kz")))
    assert outcome.status == "ignored" and "bounce" in (outcome.reason or "")
    async with sessions() as session:
        assert (await session.get_one(Notification, ack.id)).status == "dead"
    assert [e.reason for e in await list_ignored(sessions)] == [outcome.reason]


async def test_it_lists_ignored_mail_with_hash_and_reason(sessions, intake_ctx) -> None:
    robot = (ROBOTS / "vacation_ru.eml").read_bytes()
    outcomes = await ingest(sessions, intake_ctx, complaint(KARAGANDA), robot)
    [entry] = await list_ignored(sessions)
    assert entry.id == outcomes[1].inbound_id and entry.size == len(robot)
    assert entry.sha256 == hashlib.sha256(robot).hexdigest()
    assert entry.reason and "Auto-Submitted: auto-replied" in entry.reason


async def test_a_promoted_message_becomes_the_case_a_person_would_have_opened(
    sessions, intake_ctx
) -> None:
    listed = complaint(KARAGANDA, headers={"List-Id": "<friends.kz>"})
    [ignored] = await ingest(sessions, intake_ctx, listed)
    assert ignored.inbound_id is not None
    promoted = await promote(sessions, config(intake_ctx), ignored.inbound_id, actor=ACTOR)
    assert promoted.status == "created" and promoted.case
    # The same text from a person, for comparison: same region, commission, category, alerts.
    [person] = await ingest(sessions, intake_ctx, complaint(KARAGANDA, sender="b@mail.kz"))
    async with sessions() as session:
        cases = (await session.exec(select(Case).order_by(Case.id))).all()  # type: ignore[arg-type]
        row = await session.get_one(InboundEmail, ignored.inbound_id)
        audit = (await session.exec(select(AuditLog).where(AuditLog.actor == ACTOR))).one()
        alerts = (
            await session.exec(select(Notification).where(Notification.kind == "alert"))
        ).all()
    one, two = ((c.region, c.commission_code, c.category) for c in cases)
    assert one == two and one[0] == "KAR"
    alerted = [sorted(n.recipient for n in alerts if n.case_id == c.id) for c in cases]
    assert alerted[0] == alerted[1] != []
    assert (row.status, row.case_id) == ("created", cases[0].id)
    assert audit.action == "mail.promoted" and audit.case_id == cases[0].id


async def test_a_promoted_message_keeps_the_acknowledgement_rules(sessions, intake_ctx) -> None:
    [ignored] = await ingest(sessions, intake_ctx, (ROBOTS / "vacation_ru.eml").read_bytes())
    assert ignored.inbound_id is not None
    promoted = await promote(sessions, config(intake_ctx), ignored.inbound_id, actor=ACTOR)
    assert promoted.status == "created"
    assert "not acknowledged: Auto-Submitted" in (promoted.reason or "")
    assert await owed(sessions, "ack") == 0 and await owed(sessions, "alert") >= 1


async def test_promoting_twice_opens_one_case(sessions, intake_ctx) -> None:
    [ignored] = await ingest(
        sessions, intake_ctx, complaint(KARAGANDA, headers={"X-Autoreply": "1"})
    )
    assert ignored.inbound_id is not None
    first = await promote(sessions, config(intake_ctx), ignored.inbound_id, actor=ACTOR)
    second = await promote(sessions, config(intake_ctx), ignored.inbound_id, actor=ACTOR)
    assert (first.status, second.status) == ("created", "unchanged")
    assert second.case == first.case and await count(sessions, Case) == 1
    assert await list_ignored(sessions) == []


async def test_a_promoted_reply_about_a_case_becomes_its_follow_up(sessions, intake_ctx) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(KARAGANDA))
    vacation = complaint(
        "Добавлю: протокол у секретаря.",
        subject=f"Re: {first.case}",
        headers={"Auto-Submitted": "auto-replied"},
    )
    [ignored] = await ingest(sessions, intake_ctx, vacation)
    assert ignored.status == "ignored" and ignored.inbound_id is not None
    promoted = await promote(sessions, config(intake_ctx), ignored.inbound_id, actor=ACTOR)
    assert (promoted.status, promoted.case) == ("appended", first.case)
    assert await count(sessions, Case) == 1 and await count(sessions, Message) == 2


async def test_it_promotes_only_ignored_mail(sessions, intake_ctx) -> None:
    [created] = await ingest(sessions, intake_ctx, complaint(KARAGANDA))
    assert created.inbound_id is not None
    again = await promote(sessions, config(intake_ctx), created.inbound_id, actor=ACTOR)
    missing = await promote(sessions, config(intake_ctx), 999_999, actor=ACTOR)
    assert (again.status, again.case) == ("unchanged", created.case)
    assert missing.status == "missing" and await count(sessions, Case) == 1


dovecot = mail_fixtures.dovecot
store = mail_fixtures.store


async def test_the_poller_files_robot_mail_as_ignored(dovecot, store, sqlite_url, tmp_path):
    robot = (ROBOTS / "vacation_ru.eml").read_bytes()
    dovecot.append([robot, complaint(KARAGANDA), (ROBOTS / "newsletter_kk.eml").read_bytes()])
    service = MailService(mail_settings(dovecot, sqlite_url, tmp_path), store)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        report = await asyncio.wait_for(service.wait_passes(1), timeout=120)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)
    assert report is not None and (report.count("created"), report.count("ignored")) == (1, 2)
    state = await snapshot(store)
    assert (state["cases"], state["acks"], state["unmoved"]) == (1, 1, 0)
    assert folder_state(dovecot, "Processed") == (3, 0)
    entries = await list_ignored(store)
    assert hashlib.sha256(robot).hexdigest() in {e.sha256 for e in entries}
