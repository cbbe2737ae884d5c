"""The demo's story, in four acts played against a running `DemoWorld`:

1. citizens report: Алия (Telegram, Russian, the guided report with a photo), Ерболат
   (Telegram, Kazakh, free text), Марат (email in koi8-r) and Дана (email in UTF-8 with an
   attachment);
2. the commissions are alerted: an email to the commission's address and a card in its group;
3. commissioners answer from their groups (Take, then Answer with a text) and the answer
   reaches the citizen on the channel they used;
4. the next morning's digest.

`play(world, on_act)` returns the `Story` — what the demo prints and the end-to-end test
asserts. `on_act(number, story)` is called after each act.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from demo.digest import DigestFiles, digest_files, owe_next_morning
from demo.facts import CaseFacts, case_facts, is_kind, notification_of, parse
from demo.mail import KOI8R, UTF8, Letter
from demo.people import (
    CODE,
    NUMBER,
    Commissioner,
    Report,
    aliya,
    card_of,
    free_text_report,
    guided_report,
    relay_in_chat,
    take_and_answer,
    yerbolat,
)
from demo.world import COMMISSIONS_FILE, DemoWorld
from intake.commissions import read_file
from intake.routing import CENTRAL

MAIL_TIMEOUT = 90.0
ANSWERS = {
    "Алия": (
        Commissioner(200000051, "Айгуль", -1001000000005),
        "Спасибо за сигнал. Мы начали проверку в школе № 2; о результатах сообщим в этом чате.",
    ),
    "Дана": (
        Commissioner(200000021, "Ержан", -1001000000002),
        "Спасибо. Регистрации по этому номеру приостановлены до проверки, список изучаем.",
    ),
}


@dataclass(slots=True)
class Delivery:
    """What a commission received for one case."""

    number: str
    commission: str
    email_to: str
    eml: Path
    card: str  # the card in the group, as its members see it
    buttons: list[str]
    group: int


@dataclass(slots=True)
class Story:
    reports: list[Report] = field(default_factory=list)
    cases: dict[str, CaseFacts] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    group_replies: dict[str, str] = field(default_factory=dict)  # case → the bot's line
    digest_at: dt.datetime | None = None
    digests: list[DigestFiles] = field(default_factory=list)
    mail_skipped: str | None = None


async def send_letter(world: DemoWorld, letter: Letter) -> Report:
    """Put a letter in the hotline's mailbox; the acknowledgement that comes back carries
    the case number and the receipt code."""
    assert world.dovecot is not None
    how = f"email in {letter.charset}" + (
        f", attached «{letter.attachment}»" * bool(letter.attachment)
    )
    report = Report(letter.name, "email", letter.address, how, letter.text)
    await asyncio.to_thread(world.dovecot.append, [letter.raw()])

    async def ack(message) -> bool:  # type: ignore[no-untyped-def]
        to = str(message.get("To", ""))
        return letter.address in to and await is_kind(world.sessions, message, "ack")

    received = await world.wait_mail(ack, MAIL_TIMEOUT)
    message = parse(received)
    body = message.get_body(("plain",))
    number = NUMBER.search(str(message["Subject"]))
    code = CODE.search(body.get_content() if body is not None else "")
    if number is None or code is None:
        raise RuntimeError(f"acknowledgement without number or code: {message['Subject']}")
    report.number, report.receipt = number.group(), code.group()
    report.receipt_file = world.eml_path(received)
    return report


async def act_reports(world: DemoWorld, story: Story) -> None:
    plays = [guided_report(world, aliya()), free_text_report(world, yerbolat())]
    if world.dovecot is not None:
        plays += [send_letter(world, KOI8R), send_letter(world, UTF8)]
    else:
        story.mail_skipped = world.dovecot_reason
    story.reports = list(await asyncio.gather(*plays))
    for report in story.reports:
        assert report.number is not None
        story.cases[report.number] = await case_facts(world.sessions, report.number)


async def alerted(world: DemoWorld, facts: CaseFacts, chats: dict[str, int]) -> Delivery:
    async def alert(message) -> bool:  # type: ignore[no-untyped-def]
        return await is_kind(world.sessions, message, "alert", facts.id)

    received = await world.wait_mail(alert, MAIL_TIMEOUT)
    card = await card_of(world, chats[facts.commission], facts.number)
    return Delivery(
        facts.number,
        facts.commission,
        str(parse(received)["To"]),
        world.eml_path(received),
        card.text,
        card.buttons(),
        chats[facts.commission],
    )


async def act_alerts(world: DemoWorld, story: Story) -> None:
    chats = {s.code: s.telegram_chat_id for s in read_file(COMMISSIONS_FILE) if s.telegram_chat_id}
    story.deliveries = list(
        await asyncio.gather(*(alerted(world, f, chats) for f in story.cases.values()))
    )


async def answer(world: DemoWorld, story: Story, report: Report) -> None:
    who, text = ANSWERS[report.who]
    assert report.number is not None
    done = await take_and_answer(world, who, report.number, text)
    story.group_replies[report.number] = done.text
    if report.channel == "telegram":
        relay = await relay_in_chat(world, report, text)
        report.answer = relay.text
        return

    async def relayed(message) -> bool:  # type: ignore[no-untyped-def]
        row = await notification_of(world.sessions, message)
        return row is not None and row.kind == "relay" and row.recipient == report.address

    received = await world.wait_mail(relayed, MAIL_TIMEOUT)
    body = parse(received).get_body(("plain",))
    report.answer = body.get_content() if body is not None else ""
    report.answer_file = world.eml_path(received)


async def act_answers(world: DemoWorld, story: Story) -> None:
    answered = [r for r in story.reports if r.who in ANSWERS]
    await asyncio.gather(*(answer(world, story, r) for r in answered))
    for number in list(story.cases):
        story.cases[number] = await case_facts(world.sessions, number)


async def act_digest(world: DemoWorld, story: Story) -> None:
    specs = {s.code: s for s in read_file(COMMISSIONS_FILE)}
    shown = sorted({f.commission for f in story.cases.values()} | {CENTRAL})
    last = {
        code: max((m.message_id for m in world.emu.chat(chat).sent), default=0)
        for code in shown
        if (chat := specs[code].telegram_chat_id) is not None
    }
    story.digest_at, _ = await owe_next_morning(world)
    story.digests = list(
        await asyncio.gather(
            *(
                digest_files(world, code, specs[code].telegram_chat_id, last.get(code, 0))
                for code in shown
            )
        )
    )


ACTS = (act_reports, act_alerts, act_answers, act_digest)


async def play(world: DemoWorld, on_act: Callable[[int, Story], None] | None = None) -> Story:
    story = Story()
    for number, act in enumerate(ACTS, start=1):
        await act(world, story)
        if on_act is not None:
            on_act(number, story)
    return story
