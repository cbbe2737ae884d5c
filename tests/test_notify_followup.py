"""A citizen's follow-up to a case alerts the commission holding it at once, by email and in
its Telegram group, like a new case: through the Telegram bot (/status → Add information) and
by an email reply naming the case. Commissions' own mail alerts nobody, and a redelivered
follow-up owes nothing new. On SQLite and on PostgreSQL (when one is reachable)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import bot_fixtures
import pytest
from bot_fixtures import BotHarness, send_report, walk_to_summary
from mail_fixtures import complaint
from notify_helpers import make_worker, outbox
from sqlmodel import select

from bot.api import make_bot
from bot.handlers.commission.card import CardData, render_followup_card
from bot.retry import RetryPolicy
from bot.sender import TelegramSender
from intake.cases import IntakeContext
from mail_ingest.config import IngestSettings
from mail_ingest.ingest import Item, Outcome, Source, ingest_batch
from models.db import SessionFactory
from models.tables import Case, CaseStatus, Message, Notification, NotificationStatus
from notify.clock import FakeClock
from notify.compose import MailConfig
from notify.render import render
from notify.telegram_channel import TelegramChannel
from notify.texts import texts
from notify.worker import OutboxWorker
from sandbox.smtp import SmtpSink
from sandbox.telegram import ChatView, TelegramEmulator

pytest_plugins = ["notify_fixtures"]

tg_db = bot_fixtures.tg_db

AKM_CHAT, AST_CHAT = -1001000000005, -1001000000001
CARD_BUTTONS = ["🙋 Взять", "✉️ Ответить", "✅ Решить", "↪️ Не наше"]
CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
ASTANA = "В Астане собрание провели без кворума, протокол подписали задним числом."
UNTRUSTED = "Ещё <b>деталь</b> & <script>alert(1)</script> {{ 7*7 }}"


def _followup_alerts(rows: list[Notification]) -> list[Notification]:
    return [row for row in rows if row.payload.get("followup")]


def _mails(sink: SmtpSink, number: str) -> list[EmailMessage]:
    wanted = f"Дополнение к обращению {number}"
    return [r.message for r in sink.messages if wanted in r.message["Subject"]]


def _body(mail: EmailMessage, kind: str) -> str:
    part = mail.get_body((kind,))
    assert part is not None
    return str(part.get_content())


async def _alerts_of(sessions: SessionFactory, case_id: int | None) -> list[Notification]:
    return await outbox(sessions, kind="alert", case_id=case_id)


# -- Telegram: /status → Add information ------------------------------------------------------


async def _worker_on(
    emu: TelegramEmulator, sessions: SessionFactory, sink: SmtpSink, cfg: MailConfig, clock: Any
) -> tuple[OutboxWorker, TelegramChannel]:
    bot = make_bot(emu.token, emu.base_url, retry=RetryPolicy(attempts=1))
    channel = TelegramChannel(TelegramSender(bot), clock, cfg.zone, cfg.attachments_dir)
    return make_worker(sessions, sink, cfg, clock, telegram=channel), channel


@pytest.fixture
async def bot_outbox(
    tg_db: BotHarness, sink: SmtpSink, mail_config: MailConfig, clock: FakeClock
) -> AsyncIterator[OutboxWorker]:
    """The outbox delivering to the SMTP sink and to the bot's own emulator."""
    worker, channel = await _worker_on(tg_db.emu, tg_db.sessions, sink, mail_config, clock)
    yield worker
    await channel.shutdown()


async def _reported_by_bot(tg: BotHarness, worker: OutboxWorker, user_id: int):
    group = tg.emu.group(AKM_CHAT, "AKM commission")
    user = tg.user(user_id, "Сауле")
    await walk_to_summary(user)
    done = await send_report(user)
    code = CODE.search(done.text).group()  # type: ignore[union-attr]
    case = (await tg.cases())[-1]
    await worker.drain()
    await group.wait_for(case.number)  # the new case's card
    return user, code, case, group


async def test_a_telegram_follow_up_alerts_each_recipient_once(
    tg_db: BotHarness, bot_outbox: OutboxWorker, sink: SmtpSink
) -> None:
    tg, worker = tg_db, bot_outbox
    user, code, case, group = await _reported_by_bot(tg, worker, 3101)
    new_case_mails = len(sink.messages)
    await user.say(f"/status {code}")
    await user.click("Дополнить")
    user.chat.skip()
    update_id = await user.send(UNTRUSTED)
    await user.chat.wait_for("Добавлено")
    await tg.ended(update_id)

    rows = _followup_alerts(await _alerts_of(tg.sessions, case.id))
    assert sorted((r.channel, r.recipient) for r in rows) == [
        ("email", "akm@example.kz"),
        ("telegram", str(AKM_CHAT)),
    ]
    group.skip()
    await worker.drain()
    card = await group.wait_for("Дополнение к обращению")
    assert case.number in card.text and UNTRUSTED in card.text
    assert "&lt;script&gt;" in card.html and "<b>деталь</b>" not in card.html
    assert card.buttons() == CARD_BUTTONS
    assert "Акмолинская область" in card.text and "Статус обращения: новое" in card.text
    assert str(user.id) not in card.text and "Сауле" not in card.text  # no contact shared

    [mail] = _mails(sink, case.number)
    assert len(sink.messages) == new_case_mails + 1
    assert mail["To"] == "akm@example.kz"
    assert "Акмолинская область" in mail["Subject"]
    text, html = _body(mail, "plain"), _body(mail, "html")
    assert UNTRUSTED in text and "Новых файлов нет." in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "{{ 7*7 }}" in html  # template syntax in the citizen's text stays inert
    assert str(user.id) not in text + html
    assert all(r.status == NotificationStatus.sent for r in await _alerts_of(tg.sessions, case.id))

    # Telegram delivers the same update again: the ledger and the message's id keep it once.
    await tg.emu.redeliver(update_id)
    await tg.ended(update_id, times=2)
    assert len(_followup_alerts(await _alerts_of(tg.sessions, case.id))) == 2
    await worker.drain()
    assert len(_mails(sink, case.number)) == 1


async def test_a_telegram_follow_up_with_a_file_counts_the_new_file(
    tg_db: BotHarness, bot_outbox: OutboxWorker, sink: SmtpSink
) -> None:
    tg, worker = tg_db, bot_outbox
    user, code, case, group = await _reported_by_bot(tg, worker, 3102)
    await user.say(f"/status {code}")
    await user.click("Дополнить")
    user.chat.skip()
    await user.send_document(b"second list", "list2.pdf", "application/pdf")
    await user.chat.wait_for("Добавлено")
    group.skip()
    await worker.drain()
    card = await group.wait_for("Дополнение к обращению")
    assert "Новых файлов: 1" in card.text and "Текста нет, только файлы." in card.text
    [mail] = _mails(sink, case.number)
    text = _body(mail, "plain")
    assert "Новых файлов: 1" in text and "list2.pdf" in text


# -- Email: a reply naming the case ------------------------------------------------------------


def _settings(ctx: IntakeContext) -> IngestSettings:
    return IngestSettings(intake=ctx, our_address="hotline@localhost", max_bytes=25 * 1024 * 1024)


async def _ingest(sessions: SessionFactory, ctx: IntakeContext, *raws: bytes) -> list[Outcome]:
    items = [Item(raw, Source("test")) for raw in raws]
    return await ingest_batch(sessions, items, _settings(ctx))


async def _case(sessions: SessionFactory, number: str | None) -> Case:
    async with sessions() as session:
        return (await session.exec(select(Case).where(Case.number == number))).one()


async def _emailed_case(
    sessions: SessionFactory, ctx: IntakeContext, worker: OutboxWorker, emulator: Any
) -> tuple[Case, ChatView]:
    group = emulator.group(AST_CHAT, "AST commission")
    [first] = await _ingest(sessions, ctx, complaint(ASTANA))
    await worker.drain()
    await group.wait_for(first.case)
    return await _case(sessions, first.case), group


async def test_an_email_follow_up_alerts_each_recipient_once(
    sessions, intake_ctx, tg_worker, emulator, sink
) -> None:
    case, group = await _emailed_case(sessions, intake_ctx, tg_worker, emulator)
    follow_up = complaint(UNTRUSTED, subject=f"Re: {case.number} Жалоба")
    # In a batch with a new complaint: the follow-up's alerts are written with the batch's.
    outcomes = await _ingest(sessions, intake_ctx, follow_up, complaint("В Алматы давят."))
    assert [o.status for o in outcomes] == ["appended", "created"]
    rows = _followup_alerts(await _alerts_of(sessions, case.id))
    assert sorted((r.channel, r.recipient) for r in rows) == [
        ("email", "ast@example.kz"),
        ("telegram", str(AST_CHAT)),
    ]
    async with sessions() as session:
        added = (await session.exec(select(Message).where(Message.case_id == case.id))).all()[-1]
    assert {r.payload["followup"] for r in rows} == {added.id}

    group.skip()
    await tg_worker.drain()
    card = await group.wait_for("Дополнение к обращению")
    assert case.number in card.text and UNTRUSTED in card.text
    assert card.buttons() == CARD_BUTTONS
    [mail] = _mails(sink, case.number)
    assert mail["To"] == "ast@example.kz"
    text, html = _body(mail, "plain"), _body(mail, "html")
    assert UNTRUSTED in text and "&lt;b&gt;деталь&lt;/b&gt;" in html
    assert "citizen@mail.kz" not in text + html + card.text  # the reporter shared no contact

    # The same mail delivered again is a duplicate: nothing new is owed.
    [again] = await _ingest(sessions, intake_ctx, follow_up)
    assert again.status == "duplicate"
    assert len(_followup_alerts(await _alerts_of(sessions, case.id))) == 2


async def test_an_email_follow_up_counts_and_attaches_only_the_new_files(
    sessions, intake_ctx, tg_worker, emulator, sink
) -> None:
    case, group = await _emailed_case(sessions, intake_ctx, tg_worker, emulator)
    follow_up = complaint(
        "Прилагаю протокол.",
        subject=f"Re: {case.number}",
        attachment=(b"%PDF-1.4 protocol", "application/pdf", "protocol.pdf"),
    )
    await _ingest(sessions, intake_ctx, follow_up)
    await tg_worker.drain()
    [mail] = _mails(sink, case.number)
    text = _body(mail, "plain")
    assert "Новых файлов: 1" in text and "protocol.pdf" in text
    card = await group.wait_for("Дополнение к обращению")
    assert "Новых файлов: 1" in card.text


async def test_a_follow_up_to_a_closed_case_still_alerts_and_says_it_is_closed(
    sessions, intake_ctx, tg_worker, emulator, sink
) -> None:
    case, group = await _emailed_case(sessions, intake_ctx, tg_worker, emulator)
    async with sessions() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.status = CaseStatus.resolved
        session.add(stored)
        await session.commit()
    await _ingest(sessions, intake_ctx, complaint("Нарушения продолжаются.", subject=case.number))
    await tg_worker.drain()
    [mail] = _mails(sink, case.number)
    assert "Обращение уже закрыто" in _body(mail, "plain")
    card = await group.wait_for("Дополнение к обращению")
    assert "Статус обращения: решено" in card.text and "уже закрыто" in card.text


async def test_a_commissions_own_mail_owes_no_alert(
    sessions, intake_ctx, tg_worker, emulator, sink
) -> None:
    case, _group = await _emailed_case(sessions, intake_ctx, tg_worker, emulator)
    before = await _alerts_of(sessions, case.id)
    answer = complaint(
        "Проверка назначена.", sender="ast@example.kz", subject=f"Re: {case.number}"
    )
    note = complaint("Это не наш регион.", sender="ala@example.kz", subject=f"Re: {case.number}")
    outcomes = await _ingest(sessions, intake_ctx, answer, note)
    assert [o.reason for o in outcomes] == [
        "answer from commission AST",
        "note from commission ALA",
    ]
    assert await _alerts_of(sessions, case.id) == before
    await tg_worker.drain()
    assert _mails(sink, case.number) == []


# -- Kazakh -------------------------------------------------------------------------------------


def test_a_kazakh_commission_reads_the_follow_up_in_kazakh() -> None:
    zone = ZoneInfo("Asia/Almaty")
    now = dt.datetime(2026, 3, 2, 5, 0, tzinfo=dt.UTC)
    context = {
        "number": "SH-2026-00042",
        "region": "Ақмола облысы",
        "district": None,
        "category": "Сатып алу",
        "received": "01.03.2026 10:00",
        "due": "20.03.2026",
        "subject": None,
        "text": "Бастапқы мәтін",
        "contact": None,
        "added": UNTRUSTED,
        "added_at": "02.03.2026 10:00",
        "new_files": 2,
        "attached": 0,
        "listed": [],
        "closed": False,
        "t": texts("kk"),
        "lang": "kk",
    }
    mail = render("alert_followup", context)
    assert mail.subject.startswith("SH-2026-00042 өтінішіне толықтыру")
    assert "Жаңа файлдар: 2" in mail.text and UNTRUSTED in mail.text
    assert "&lt;script&gt;" in mail.html and "<script>" not in mail.html
    case = Case(
        number="SH-2026-00042",
        channel="telegram",
        region="AKM",
        category="vote_buying",
        language="kk",
        text="Бастапқы мәтін",
        commission_code="AKM",
        created_at=now,
        due_at=now,
    )
    card = render_followup_card(CardData(case, attachments=2), UNTRUSTED, now, "kk", zone)
    assert "Өтінішке толықтыру" in card and "Жаңа файлдар: 2" in card
    assert "&lt;script&gt;" in card and "<script>" not in card
    assert "Өтініш мәртебесі: жаңа" in card
