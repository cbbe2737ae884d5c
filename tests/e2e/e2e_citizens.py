"""Telegram citizens and email complaints for the crash test.

A citizen writes one free-text message naming a place and what happened; the bot drafts the
report and asks only whether to leave a contact; the citizen stays anonymous, checks the
summary and sends it. Each step waits for the bot, however long a restart takes, and never
repeats an action: whatever the system loses, the test sees.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from e2e_crowd import complaint
from e2e_system import HOTLINE

from models.types import utcnow
from sandbox.telegram import SentMessage, TelegramEmulator

CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
ALREADY_SENT = "уже отправлено под номером"
STEP_TIMEOUT = 180.0
FIRST_CITIZEN = 900_000_001


@dataclass(slots=True)
class Citizen:
    user_id: int
    index: int
    region: str
    category: str
    text: str
    outcome: str = "waiting"  # receipt | already_sent | error: …


def telegram_citizens(count: int, start: int) -> list[Citizen]:
    """`count` citizens whose texts name a region (a Telegram citizen is asked for one)."""
    citizens: list[Citizen] = []
    index = start
    while len(citizens) < count:
        region, category, text = complaint(index)
        if region is not None:
            citizens.append(Citizen(FIRST_CITIZEN + len(citizens), index, region, category, text))
        index += 1
    return citizens


STEPS = ("n:skip_place", "n:anonymous", "n:send")  # what the citizen presses, when asked


def _next_step(message: SentMessage) -> str | None:
    if CODE.search(message.text) or ALREADY_SENT in message.text:
        return "done"
    return next((data for data in STEPS if message.button(data=data) is not None), None)


async def report(emu: TelegramEmulator, citizen: Citizen) -> None:
    """Play one citizen to the end; `citizen.outcome` says how it ended. A city's citizen is
    also asked where exactly (and skips it); each button is pressed once."""
    user = emu.user(citizen.user_id, "Гражданин", language_code="ru")
    pressed: set[str] = set()
    try:
        await user.send(citizen.text)
        while True:
            message = await user.chat.wait_for(
                lambda m: _next_step(m) not in (None, *pressed), STEP_TIMEOUT
            )
            step = _next_step(message)
            if step == "done":
                citizen.outcome = "receipt" if CODE.search(message.text) else "already_sent"
                return
            assert step is not None
            pressed.add(step)
            await user.press(data=step, message=message)
    except (TimeoutError, LookupError) as exc:
        citizen.outcome = f"error: {exc}"
    except asyncio.CancelledError:
        last = user.chat.last
        citizen.outcome = f"unanswered; last message: {last.text[:60] if last else None!r}"
        raise


def complaint_email(index: int) -> bytes:
    """Email complaint number `index`, from its own sender (one acknowledgement each)."""
    _, _, text = complaint(index)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"citizen{index}@example.org"
    msg["To"] = HOTLINE
    msg["Subject"] = f"Жалоба {index}"
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(idstring=f"c{index}", domain="example.org")
    msg.set_content(text, charset="koi8-r" if index % 5 == 0 else "utf-8")
    return msg.as_bytes()
