"""The people of the demo on Telegram: two citizens and a commissioner, played through the Bot
API emulator exactly as their Telegram apps would (messages, button presses, a photo).

Buttons are pressed by their callback data where the citizen's choice matters, so the plays do
not depend on the wording of the translations. Everyone here is invented.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from demo.mail import demo_photo
from demo.world import DemoWorld
from sandbox.telegram import SentMessage, UserDriver

STEP_TIMEOUT = 60.0
NUMBER = re.compile(r"SH-\d{4}-\d+")
CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


@dataclass(slots=True)
class Report:
    """One citizen's report as the story tells it."""

    who: str
    channel: str  # telegram | email
    address: str  # chat id or email address: where answers must go (never printed)
    how: str
    text: str
    region_chosen: bool = False  # picked by the citizen with a button, not found in the text
    category_chosen: bool = False
    number: str | None = None
    receipt: str | None = None
    receipt_file: Path | None = None  # the acknowledgement email, for email citizens
    answer: str | None = None  # the commission's answer, as the citizen received it
    answer_file: Path | None = None  # the relayed answer's email, for email citizens


async def step(
    user: UserDriver, act: Callable[[], Awaitable[int]], until: Callable[[SentMessage], bool]
) -> SentMessage:
    """Act, then the first message the bot sends or edits afterwards that `until` accepts
    (the bot may answer a press by turning the question into the next one)."""
    user.chat.skip()
    await act()
    return await user.chat.wait_for(until, STEP_TIMEOUT)


def offers(data: str) -> Callable[[SentMessage], bool]:
    """A message with the button whose callback data is `data`."""
    return lambda message: message.button(data=data) is not None


def has_receipt(message: SentMessage) -> bool:
    return CODE.search(message.text) is not None


def take_receipt(report: Report, confirmation: SentMessage) -> Report:
    number, code = NUMBER.search(confirmation.text), CODE.search(confirmation.text)
    if number is None or code is None:
        raise RuntimeError(f"no case number and receipt code in: {confirmation.text[:200]!r}")
    report.number, report.receipt = number.group(), code.group()
    return report


def aliya() -> Report:
    return Report(
        who="Алия",
        channel="telegram",
        address="7001",
        how="Telegram, Russian, the guided report (category, region, place, a photo, text)",
        text="Директор школы № 2 раздавал учителям продуктовые пакеты за обещание проголосовать.",
        region_chosen=True,
        category_chosen=True,
    )


ALIYA_PLACE = "Бурабайский район, Щучинск"


def yerbolat() -> Report:
    return Report(
        who="Ерболат",
        channel="telegram",
        address="7002",
        how="Telegram, Kazakh, one free-text message",
        text=(
            "Шымкент қаласы, Абай ауданы: праймериз кезінде сайлаушыларға дауыс бергені үшін "
            "ақша таратты."
        ),
    )


GUIDED_PRESSES = (  # (button pressed, the button the next question offers)
    ("p:lang:ru", "n:report"),
    ("n:report", "p:cat:vote_buying"),
    ("p:cat:vote_buying", "p:reg:AKM"),
    ("p:reg:AKM", "n:skip_place"),
)


async def guided_report(world: DemoWorld, report: Report) -> Report:
    """Алия: /start, Russian, Report, category, region, place, a photo, text, anonymous, Send."""
    user = world.emu.user(int(report.address), report.who, language_code="ru")
    await step(user, lambda: user.send("/start"), offers("p:lang:ru"))
    for pressed, offered in GUIDED_PRESSES:
        await step(user, partial(user.press, data=pressed), offers(offered))
    await step(user, lambda: user.send(ALIYA_PLACE), offers("n:next"))
    await step(user, lambda: user.send_photo(demo_photo()), offers("n:next"))
    await step(user, lambda: user.send(report.text), offers("n:next"))
    await step(user, lambda: user.press(data="n:next"), offers("n:anonymous"))
    await step(user, lambda: user.press(data="n:anonymous"), offers("n:send"))
    return take_receipt(report, await step(user, lambda: user.press(data="n:send"), has_receipt))


async def free_text_report(world: DemoWorld, report: Report) -> Report:
    """Ерболат: writes what happened in Kazakh; the bot drafts the report and asks only
    whether to leave a contact, then shows the summary."""
    user = world.emu.user(int(report.address), report.who, language_code="kk")
    await step(user, lambda: user.send(report.text), offers("n:anonymous"))
    await step(user, lambda: user.press(data="n:anonymous"), offers("n:send"))
    return take_receipt(report, await step(user, lambda: user.press(data="n:send"), has_receipt))


@dataclass(slots=True)
class Commissioner:
    user_id: int
    name: str
    chat_id: int  # the commission's group


async def card_of(world: DemoWorld, chat_id: int, number: str) -> SentMessage:
    """The alert card for case `number` in a group (waits for it)."""
    group = world.emu.chat(chat_id)
    for message in group.sent:
        if number in message.text and message.buttons():
            return message
    return await group.wait_for(lambda m: number in m.text and bool(m.buttons()), STEP_TIMEOUT)


async def take_and_answer(
    world: DemoWorld, who: Commissioner, number: str, answer: str
) -> SentMessage:
    """Take the case from its card, press Answer, reply to the prompt with `answer`; the
    bot's confirmation in the group."""
    group = world.emu.chat(who.chat_id)
    member = world.emu.user(who.user_id, who.name)
    card = await card_of(world, who.chat_id, number)
    take, reply = card.buttons()[0], card.buttons()[1]  # Take, Answer, Resolve, Not ours
    group.skip()
    await member.press(take, message=card, chat=group)
    await group.wait_for(lambda m: m.message_id == card.message_id, STEP_TIMEOUT)
    await member.press(reply, message=card, chat=group)
    prompt = await group.wait_for(
        lambda m: bool((m.reply_markup or {}).get("force_reply")), STEP_TIMEOUT
    )
    group.skip()
    await member.send(answer, chat=group, reply_to=prompt.message_id)
    return await group.wait_for(
        lambda m: number in m.text and m.message_id not in (card.message_id, prompt.message_id),
        STEP_TIMEOUT,
    )


async def relay_in_chat(world: DemoWorld, report: Report, answer: str) -> SentMessage:
    """The commission's answer as it arrives in the citizen's Telegram chat."""
    chat = world.emu.chat(int(report.address))
    for message in chat.sent:
        if answer in message.text:
            return message
    return await chat.wait_for(answer, STEP_TIMEOUT)
