""""Forget my contact": in the bot under /status, and by an email with the receipt code."""

from __future__ import annotations

import re

import bot_fixtures
import pytest
from bot_fixtures import BotHarness, send_report, walk_to_summary
from mail_fixtures import HOTLINE, complaint
from sqlmodel import select

from intake.cases import IntakeContext, open_case
from intake.forget import asks_to_forget
from intake.raw import RawReport
from intake.receipts import format_code
from mail_ingest.config import IngestSettings
from mail_ingest.ingest import Item, Source, ingest_batch
from models.db import SessionFactory
from models.tables import Case, InboundEmail, Reporter

tg = bot_fixtures.tg
tg_store = bot_fixtures.tg_store
CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


async def _reporter(sessions: SessionFactory, case_id: int) -> Reporter:
    async with sessions() as session:
        case = await session.get_one(Case, case_id)
        return await session.get_one(Reporter, case.reporter_id)


async def test_it_forgets_the_chat_after_a_confirmation_that_warns_of_the_answers(
    tg: BotHarness,
) -> None:
    user = tg.user(4101, "Сауле")
    await walk_to_summary(user)
    code = CODE.search((await send_report(user)).text).group()  # type: ignore[union-attr]
    [case] = await tg.cases()
    await user.say(f"/status {code}")
    asked = await user.click("Забыть мой контакт")
    assert case.number in asked.text and "ответы больше не будут до вас доходить" in asked.text
    assert (await _reporter(tg.sessions, case.id)).address == "4101"  # type: ignore[arg-type]
    done = await user.click("Да, забыть мой контакт")
    assert "контакт удалён" in done.text
    reporter = await _reporter(tg.sessions, case.id)  # type: ignore[arg-type]
    assert (reporter.address, reporter.contact_phone, reporter.contact_email) == (None, None, None)
    assert [c.number for c in await tg.cases()] == [case.number]


async def test_it_changes_nothing_when_the_citizen_declines(tg: BotHarness) -> None:
    user = tg.user(4102, "Сауле")
    await walk_to_summary(user)
    code = CODE.search((await send_report(user)).text).group()  # type: ignore[union-attr]
    [case] = await tg.cases()
    await user.say(f"/status {code}")
    await user.click("Забыть мой контакт")
    assert "Ничего не изменилось" in (await user.click("Нет, оставить")).text
    assert (await _reporter(tg.sessions, case.id)).address == "4102"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "request_text",
    ["Забудьте мой контакт, пожалуйста.", "Байланысымды өшіріңіз.", "Please forget my contact."],
)
async def test_it_forgets_an_email_citizen_who_writes_with_the_receipt_code(
    sessions: SessionFactory, intake_ctx: IntakeContext, request_text: str
) -> None:
    async with sessions() as session:
        opened = await open_case(session, RawReport(
            channel="email", sender="asel@mail.kz", contact_email="asel.home@mail.kz",
            text="В Астане раздают деньги",
        ), intake_ctx)  # fmt: skip
        await session.commit()
    letter = complaint(f"{request_text}\nКод: {format_code(opened.receipt_code)}",
                       sender="asel@mail.kz", subject="Re: ваше обращение")  # fmt: skip
    settings = IngestSettings(intake=intake_ctx, our_address=HOTLINE, max_bytes=10**7)
    [outcome] = await ingest_batch(sessions, [Item(letter, Source("INBOX", 1, 2))], settings)
    reporter = await _reporter(sessions, opened.case.id)  # type: ignore[arg-type]
    async with sessions() as session:
        raws = [r.raw for r in (await session.exec(select(InboundEmail))).all()]
        cases = (await session.exec(select(Case))).all()
    assert outcome.status == "ignored" and outcome.case == opened.case.number
    assert (reporter.address, reporter.contact_email) == (None, None)
    assert raws == [b""] and len(cases) == 1


def test_it_does_not_read_an_ordinary_report_as_a_request_to_forget() -> None:
    assert not asks_to_forget("На участке удалили наблюдателя, контакт председателя не отвечает")
    assert asks_to_forget("прошу удалить мои данные")
