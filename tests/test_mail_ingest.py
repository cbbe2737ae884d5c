"""What a message does to the store: cases, follow-ups, answers, bounces, duplicates, quarantine.

Runs on SQLite and on PostgreSQL (when one is reachable) through `ingest_batch`, the same
transaction the IMAP poller and `shagym ingest-eml` use.
"""

from __future__ import annotations

from collections.abc import Sequence

import mail_fixtures
import pytest
from mail_fixtures import CITIZEN, HOTLINE, complaint, count
from sqlmodel import col, select

from intake.attachments import read_attachment
from intake.cases import IntakeContext
from mail_ingest.config import IngestSettings
from mail_ingest.ingest import Item, Outcome, Source, ingest_batch
from mail_ingest.quarantine import list_quarantine, replay
from models.db import SessionFactory
from models.outbox import message_id_for
from models.tables import (
    Attachment,
    Case,
    CaseLink,
    InboundEmail,
    Message,
    Notification,
    Reporter,
)

failing_parser = mail_fixtures.failing_parser

ASTANA = "В Астане собрание провели без кворума, протокол подписали задним числом."


def config(ctx: IntakeContext, max_bytes: int = 25 * 1024 * 1024) -> IngestSettings:
    return IngestSettings(intake=ctx, our_address=HOTLINE, max_bytes=max_bytes)


async def ingest(
    sessions: SessionFactory, ctx: IntakeContext, *raws: bytes, source: Source | None = None
) -> list[Outcome]:
    items = [Item(raw, source or Source("test")) for raw in raws]
    return await ingest_batch(sessions, items, config(ctx))


async def notifications(sessions: SessionFactory, kind: str) -> Sequence[Notification]:
    async with sessions() as session:
        return (await session.exec(select(Notification).where(Notification.kind == kind))).all()


async def the_ack(sessions: SessionFactory) -> Notification:
    [ack] = await notifications(sessions, "ack")
    return ack


async def test_it_opens_a_case_and_owes_one_acknowledgement(sessions, intake_ctx) -> None:
    [outcome] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    assert outcome.status == "created"
    assert outcome.case and outcome.case.startswith("SH-")
    ack = await the_ack(sessions)
    assert ack.recipient == CITIZEN and ack.channel == "email"
    assert ack.payload.get("receipt_code")
    async with sessions() as session:
        row = (await session.exec(select(InboundEmail))).one()
    assert row.status == "created" and row.raw and len(row.sha256) == 64


async def test_it_appends_when_the_subject_names_a_case(sessions, intake_ctx) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    follow_up = complaint("Добавляю фото протокола.", subject=f"Re: {first.case} Жалоба")
    [second] = await ingest(sessions, intake_ctx, follow_up)
    assert (second.status, second.case) == ("appended", first.case)
    assert await count(sessions, Case) == 1
    assert await count(sessions, Message) == 2


async def test_it_appends_a_reply_to_our_acknowledgement(sessions, intake_ctx) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    ours = message_id_for(await the_ack(sessions), "hotline.kz")
    reply = complaint(
        "Ещё подробности.", subject="Re: ваше обращение", headers={"In-Reply-To": ours}
    )
    [second] = await ingest(sessions, intake_ctx, reply)
    assert (second.status, second.case) == ("appended", first.case)


async def test_it_ignores_a_guessed_notification_id(sessions, intake_ctx) -> None:
    await ingest(sessions, intake_ctx, complaint(ASTANA))
    ack = await the_ack(sessions)
    forged = f"<shagym.{ack.id}.0000000000000000@hotline.kz>"
    [outcome] = await ingest(
        sessions, intake_ctx, complaint("Другое.", headers={"In-Reply-To": forged})
    )
    assert outcome.status == "created"


async def test_it_records_a_commission_answer_by_email(sessions, intake_ctx) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    async with sessions() as session:
        case = (await session.exec(select(Case))).one()
    assert case.commission_code == "AST"
    answer = complaint(
        "Проверка назначена.\n\n> В Астане собрание провели без кворума",
        sender="Комиссия <AST@example.kz>",
        subject=f"Re: {first.case}",
    )
    [outcome] = await ingest(sessions, intake_ctx, answer)
    assert outcome.status == "appended" and outcome.reason == "answer from commission AST"
    async with sessions() as session:
        case = (await session.exec(select(Case))).one()
        last = (await session.exec(select(Message).order_by(Message.id.desc()))).first()  # type: ignore[union-attr]
    assert case.status == "answered"
    assert last is not None and last.author == "email:AST" and last.text == "Проверка назначена."
    [relay] = await notifications(sessions, "relay")
    assert relay.recipient == CITIZEN


async def test_it_keeps_another_commissions_mail_as_a_note(sessions, intake_ctx) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    note = complaint("Это не наш регион.", sender="ala@example.kz", subject=f"Re: {first.case}")
    [outcome] = await ingest(sessions, intake_ctx, note)
    assert outcome.status == "appended" and "note from commission ALA" in (outcome.reason or "")
    assert await notifications(sessions, "relay") == []


def bounce_of(message_id: str, action: str = "failed", status: str = "5.1.1") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.mail.kz\r\nTo: hotline@localhost\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <b1@mx.mail.kz>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report;"
        " report-type=delivery-status; boundary=R\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\n"
        "Delivery failed.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.mail.kz\r\n\r\nFinal-Recipient: rfc822; {CITIZEN}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: smtp; 550 no such user\r\n\r\n"
        f"--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n\r\n--R--\r\n"
    ).encode()


async def test_it_marks_a_bounced_notification_dead_and_opens_no_case(sessions, intake_ctx):
    await ingest(sessions, intake_ctx, complaint(ASTANA))
    ack = await the_ack(sessions)
    [outcome] = await ingest(sessions, intake_ctx, bounce_of(message_id_for(ack, "hotline.kz")))
    assert outcome.status == "ignored" and outcome.case is None
    ack = await the_ack(sessions)
    assert ack.status == "dead"
    assert ack.last_error and "5.1.1" in ack.last_error
    assert await count(sessions, Case) == 1


async def test_it_leaves_a_delayed_notification_alone(sessions, intake_ctx) -> None:
    await ingest(sessions, intake_ctx, complaint(ASTANA))
    ours = message_id_for(await the_ack(sessions), "hotline.kz")
    [outcome] = await ingest(sessions, intake_ctx, bounce_of(ours, "delayed", "4.4.7"))
    assert outcome.status == "ignored"
    assert (await the_ack(sessions)).status == "pending"


async def test_it_ignores_mail_carrying_our_x_loop(sessions, intake_ctx) -> None:
    looped = complaint(ASTANA, headers={"X-Loop": HOTLINE})
    [outcome] = await ingest(sessions, intake_ctx, looped)
    assert outcome.status == "ignored" and await count(sessions, Case) == 0


async def test_it_ignores_an_automatic_reply_about_a_case(sessions, intake_ctx) -> None:
    [first] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    vacation = complaint(
        "Я в отпуске.",
        subject=f"Автоответ: {first.case}",
        headers={"Auto-Submitted": "auto-replied"},
    )
    [outcome] = await ingest(sessions, intake_ctx, vacation)
    assert outcome.status == "ignored" and await count(sessions, Message) == 1


async def test_it_opens_a_case_from_a_robot_address_without_acknowledging_it(sessions, intake_ctx):
    # noreply@ alone does not make a robot (people write from such addresses); no ack though.
    [outcome] = await ingest(sessions, intake_ctx, complaint(ASTANA, sender="noreply@mail.kz"))
    assert outcome.status == "created" and "automated sender" in (outcome.reason or "")
    assert await notifications(sessions, "ack") == []


async def test_it_acknowledges_a_sender_once_a_day(sessions, intake_ctx) -> None:
    outcomes = await ingest(
        sessions, intake_ctx, complaint(ASTANA), complaint("В Алматы давят на избирателей.")
    )
    await ingest(sessions, intake_ctx, complaint("В Шымкенте раздавали деньги."))
    assert [o.status for o in outcomes] == ["created", "created"]
    assert len(await notifications(sessions, "ack")) == 1


async def test_it_recognises_the_same_bytes_twice(sessions, intake_ctx) -> None:
    raw = complaint(ASTANA)
    first, second = await ingest(sessions, intake_ctx, raw, raw)
    [third] = await ingest(sessions, intake_ctx, raw)
    assert (first.status, second.status, third.status) == ("created", "duplicate", "duplicate")
    assert second.case == third.case == first.case
    assert await count(sessions, Case) == 1 and await count(sessions, InboundEmail) == 1


async def test_it_recognises_a_redelivery_with_other_trace_headers(sessions, intake_ctx):
    raw = complaint(ASTANA)
    again = b"Received: from relay2.mail.kz by mx.kz; Mon, 2 Mar 2026 10:01:00 +0500\r\n" + raw
    first, second = await ingest(sessions, intake_ctx, raw, again)
    assert second.status == "duplicate" and second.case == first.case
    assert await count(sessions, Case) == 1


async def test_it_keeps_different_mail_that_reuses_a_message_id(sessions, intake_ctx) -> None:
    one = complaint(ASTANA, message_id="<fixed@broken-mailer>")
    two = complaint("В Алматы давят на избирателей.", message_id="<fixed@broken-mailer>")
    outcomes = await ingest(sessions, intake_ctx, one, two)
    assert [o.status for o in outcomes] == ["created", "created"]


async def test_it_ingests_mail_without_a_message_id_once(sessions, intake_ctx) -> None:
    raw = complaint(ASTANA, message_id=None)
    first, second = await ingest(sessions, intake_ctx, raw, raw)
    assert (first.status, second.status) == ("created", "duplicate")
    async with sessions() as session:
        message = (await session.exec(select(Message))).one()
    assert message.external_id is None


async def test_it_stores_attachments_by_hash_not_by_name(sessions, intake_ctx) -> None:
    raw = complaint(ASTANA, attachment=(b"%PDF-1.4 protocol", "application/pdf", "../../x.pdf"))
    await ingest(sessions, intake_ctx, raw)
    async with sessions() as session:
        attachment = (await session.exec(select(Attachment))).one()
    assert attachment.path.endswith(attachment.sha256)
    assert read_attachment(intake_ctx.attachments_dir, attachment.path) == b"%PDF-1.4 protocol"
    assert not (intake_ctx.attachments_dir.parent / "x.pdf").exists()


async def test_it_opens_a_case_from_the_headers_of_an_oversized_message(sessions, intake_ctx):
    header = complaint(ASTANA).split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    source = Source("test", size=30_000_000, headers_only=True)
    [outcome] = await ingest_batch(sessions, [Item(header, source)], config(intake_ctx, 1000))
    assert outcome.status == "created" and "size limit" in (outcome.reason or "")
    ack = await the_ack(sessions)
    assert ack.payload["too_large"] == {"size": 30_000_000, "limit": 1000}


@pytest.mark.usefixtures("failing_parser")
async def test_it_quarantines_a_bad_message_and_finishes_the_batch(sessions, intake_ctx):
    bad = complaint(ASTANA, subject="BREAK")
    outcomes = await ingest(sessions, intake_ctx, complaint(ASTANA), bad, complaint("В Алматы."))
    assert [o.status for o in outcomes] == ["created", "quarantined", "created"]
    assert "cannot read this one" in (outcomes[1].reason or "")
    [entry] = await list_quarantine(sessions)
    assert entry.id == outcomes[1].inbound_id


async def test_a_batch_stores_each_message_once(sessions, intake_ctx) -> None:
    raw = complaint(ASTANA)
    again = b"Received: from relay2.mail.kz by mx.kz; Mon, 2 Mar 2026 10:01:00 +0500\r\n" + raw
    outcomes = await ingest(sessions, intake_ctx, raw, complaint("В Алматы давят."), raw, again)
    assert [o.status for o in outcomes] == ["created", "created", "duplicate", "duplicate"]
    assert (
        outcomes[2].inbound_id == outcomes[0].inbound_id and outcomes[2].case == outcomes[0].case
    )
    assert outcomes[3].inbound_id not in (None, outcomes[0].inbound_id)
    assert await count(sessions, Case) == 2 and await count(sessions, InboundEmail) == 3
    assert len(await notifications(sessions, "ack")) == 1


@pytest.mark.usefixtures("failing_parser")
async def test_a_bad_message_leaves_the_rest_of_its_batch_stored_once(sessions, intake_ctx):
    """The batch is first tried whole, without savepoints; the bad message rolls that back and
    the batch goes again message by message: nothing of the first attempt remains."""
    raw = complaint(ASTANA)
    bad = complaint("В Алматы.", subject="BREAK")
    outcomes = await ingest(sessions, intake_ctx, raw, bad, raw, complaint("В Шымкенте."))
    assert [o.status for o in outcomes] == ["created", "quarantined", "duplicate", "created"]
    assert outcomes[2].inbound_id == outcomes[0].inbound_id
    assert await count(sessions, Case) == 2 and await count(sessions, InboundEmail) == 3
    assert len(await notifications(sessions, "ack")) == 1


async def test_a_batch_gives_each_sender_one_reporter_and_a_follow_up_none(
    sessions, intake_ctx
) -> None:
    """A batch upserts the reporters of the cases it will open in one statement; those of
    follow-ups are not among them."""
    [first] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    follow_up = complaint("Ещё фото.", sender="c@mail.kz", subject=f"Re: {first.case}")
    batch = [
        complaint("В Алматы давят на членов партии."),
        complaint("В Шымкенте собрание без кворума.", sender="b@mail.kz"),
        follow_up,
        complaint("В Таразе записали без согласия.", sender="b@mail.kz"),
    ]
    outcomes = await ingest(sessions, intake_ctx, *batch)
    assert [o.status for o in outcomes] == ["created", "created", "appended", "created"]
    async with sessions() as session:
        reporters = {r.id: r.address for r in (await session.exec(select(Reporter))).all()}
        cases = (await session.exec(select(Case).order_by(Case.id))).all()
    assert sorted(reporters.values()) == sorted([CITIZEN, "b@mail.kz"])
    assert [reporters[c.reporter_id] for c in cases] == [
        CITIZEN,
        CITIZEN,
        "b@mail.kz",
        "b@mail.kz",
    ]


def related_mail(phone: str, story: str) -> list[bytes]:
    """Three complaints naming one phone number, and two near-identical ones without it."""
    return [
        complaint(f"В Алматы записали сто членов партии на номер {phone}.", sender="a@mail.kz"),
        complaint(f"Все новые члены в Шымкенте записаны на телефон {phone}.", sender="b@mail.kz"),
        complaint(story + ".", sender="c@mail.kz"),
        complaint(f"На номер {phone} записали и моих соседей в Караганде.", sender="d@mail.kz"),
        complaint(story + "!", sender="e@mail.kz"),
    ]


async def relations(sessions: SessionFactory, numbers: list[str | None]) -> tuple[list, list]:
    """Links and clusters among these cases, by their position in `numbers`."""
    async with sessions() as session:
        cases = (await session.exec(select(Case).where(col(Case.number).in_(numbers)))).all()
        links = (await session.exec(select(CaseLink))).all()
    where = {case.id: numbers.index(case.number) for case in cases}
    pairs = sorted((where[k.case_id], where[k.related_case_id], k.reason) for k in links
                   if k.case_id in where)  # fmt: skip
    by_id = {case.id: case for case in cases}
    clusters = [
        None if by_id[i].cluster_id is None else where[by_id[i].cluster_id]
        for i in sorted(by_id, key=where.__getitem__)
    ]
    return pairs, clusters


async def test_a_batch_relates_its_own_cases_as_one_message_at_a_time_does(
    sessions, intake_ctx
) -> None:
    """Within a batch a case's phone numbers and text fingerprint are written with the batch;
    the cases after it in the same batch must still find it."""
    taraz = "В Таразе провели отчётное собрание первичной организации без кворума и без протокола"
    kostanay = "Председатель в Костанае угрожал уволить работников если они не вступят в партию"
    together = await ingest(sessions, intake_ctx, *related_mail("+7 701 234 56 78", taraz))
    apart = [
        (await ingest(sessions, intake_ctx, raw))[0]
        for raw in related_mail("87079998877", kostanay)
    ]
    assert [o.status for o in together + apart] == ["created"] * 10
    found = await relations(sessions, [o.case for o in together])
    assert found == await relations(sessions, [o.case for o in apart])
    pairs, clusters = found
    assert (1, 0, "same_phone") in pairs and (3, 1, "same_phone") in pairs
    assert (4, 2, "near_identical_text") in pairs
    assert clusters == [0, 0, 2, 0, 2]


async def test_a_receipt_code_drawn_twice_in_a_batch_still_gives_each_case_its_own(
    sessions, intake_ctx, monkeypatch
) -> None:
    """A batch writes its receipts together at the end; a code drawn twice (one chance in
    10^16) fails that write, and the batch goes again message by message, drawing anew."""
    import intake.cases

    twice, other = "1111222233334444", "5555666677778888"
    draws = iter([twice, twice, twice, twice, other])
    monkeypatch.setattr(intake.cases, "new_code", lambda: next(draws))
    outcomes = await ingest(
        sessions, intake_ctx, complaint(ASTANA), complaint("В Алматы.", sender="b@mail.kz")
    )
    assert [o.status for o in outcomes] == ["created", "created"]
    async with sessions() as session:
        for code, outcome in zip([twice, other], outcomes, strict=True):
            case = await intake.cases.find_by_receipt(session, code, intake_ctx.receipt_key)
            assert case is not None and case.number == outcome.case
    codes = {ack.payload["receipt_code"] for ack in await notifications(sessions, "ack")}
    assert codes == {twice, other}
    assert await count(sessions, Case) == 2 and await count(sessions, InboundEmail) == 2


async def test_it_replays_quarantined_mail(sessions, intake_ctx, monkeypatch) -> None:
    import mail_ingest.ingest as ingest_module

    real = ingest_module.parse_email
    monkeypatch.setattr(ingest_module, "parse_email", lambda raw: 1 / 0)
    [outcome] = await ingest(sessions, intake_ctx, complaint(ASTANA))
    assert outcome.status == "quarantined"
    monkeypatch.setattr(ingest_module, "parse_email", real)
    [replayed] = await replay(sessions, config(intake_ctx))
    assert replayed.status == "created" and replayed.case
    assert await list_quarantine(sessions) == []
    assert await count(sessions, InboundEmail) == 1
