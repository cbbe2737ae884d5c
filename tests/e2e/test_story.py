"""The demo's story, asserted: the whole system (the real runner with the bot, mail and outbox
loops) against the Bot API emulator, a private Dovecot and the SMTP sink.

The story is played once for the module (it takes about ten seconds); each test checks one
promise against what the citizens, the commissions and the store ended up with.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlmodel import col, select

from demo.facts import notification_of, parse
from demo.story import Story, play
from demo.world import demo_world
from models.tables import Case, InboundEmail, Reporter
from sandbox.dovecot import unavailable_reason

EXPECTED = {  # who: (channel, region, district, category, language, commission)
    "Алия": ("telegram", "AKM", "Бурабайский район", "vote_buying", "ru", "AKM"),
    "Ерболат": ("telegram", "SHY", "Абайский район", "vote_buying", "kk", "SHY"),
    "Марат": ("email", "KAR", "Караганда", "coercion", "ru", "KAR"),
    "Дана": ("email", "ALA", "Ауэзовский район", "shared_contacts", "ru", "ALA"),
}


@dataclass
class Mail:
    kind: str
    case_id: int | None
    commission: str | None
    to: str
    message_id: str


@dataclass
class Outcome:
    story: Story
    root: Path
    cases: list[Case] = field(default_factory=list)
    reporters: dict[int, Reporter] = field(default_factory=dict)
    inbound: list[InboundEmail] = field(default_factory=list)
    mail: list[Mail] = field(default_factory=list)
    chats: dict[int, list[tuple[str, list[str]]]] = field(default_factory=dict)  # text, buttons


async def _collect(world, story: Story) -> Outcome:  # type: ignore[no-untyped-def]
    outcome = Outcome(story, world.root)
    async with world.sessions() as session:
        outcome.cases = list((await session.exec(select(Case).order_by(col(Case.id)))).all())
        outcome.reporters = {r.id: r for r in (await session.exec(select(Reporter))).all()}
        outcome.inbound = list((await session.exec(select(InboundEmail))).all())
    for received in world.sink.messages:
        message = parse(received)
        row = await notification_of(world.sessions, message)
        assert row is not None, f"an email the outbox did not send: {message['Subject']}"
        outcome.mail.append(
            Mail(row.kind, row.case_id, row.commission_code, str(message["To"]),
                 str(message["Message-ID"]))
        )  # fmt: skip
    for chat_id, chat in world.emu.chats.items():
        outcome.chats[chat_id] = [(m.text, m.buttons()) for m in chat.sent]
    return outcome


async def _play(root: Path) -> Outcome:
    async with demo_world(root) as world:
        assert world.dovecot is not None, world.dovecot_reason
        story = await play(world)
        return await _collect(world, story)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    return asyncio.run(_play(tmp_path_factory.mktemp("story")))


def _case_of(outcome: Outcome, who: str) -> Case:
    [report] = [r for r in outcome.story.reports if r.who == who]
    [case] = [c for c in outcome.cases if c.number == report.number]
    return case


def test_it_opens_exactly_one_case_per_complaint(outcome: Outcome) -> None:
    assert len(outcome.cases) == 4
    by_reporter = Counter(outcome.reporters[c.reporter_id].address for c in outcome.cases)
    assert by_reporter == Counter(r.address for r in outcome.story.reports)
    assert sorted(e.status for e in outcome.inbound) == ["created", "created"]
    assert len({e.case_id for e in outcome.inbound}) == 2 and all(e.moved for e in outcome.inbound)


def test_it_routes_each_complaint_to_the_commission_of_its_place(outcome: Outcome) -> None:
    for who, expected in EXPECTED.items():
        case = _case_of(outcome, who)
        found = (case.channel, case.region, case.district, case.category, case.language,
                 case.commission_code)  # fmt: skip
        assert found == expected, who


def test_it_keeps_the_evidence_sent_on_both_channels(outcome: Outcome) -> None:
    kept = {who: outcome.story.cases[_case_of(outcome, who).number].attachments
            for who in EXPECTED}  # fmt: skip
    assert [len(kept[w]) for w in EXPECTED] == [1, 0, 0, 1]
    assert kept["Дана"][0].startswith("список.pdf")


def test_it_alerts_each_commission_once_by_email_and_in_its_group(outcome: Outcome) -> None:
    for case in outcome.cases:
        alerts = [m for m in outcome.mail if m.kind == "alert" and m.case_id == case.id]
        assert [m.to for m in alerts] == [f"{case.commission_code.lower()}@example.kz"]
        delivery = next(d for d in outcome.story.deliveries if d.number == case.number)
        cards = [t for t, buttons in outcome.chats[delivery.group] if case.number in t and buttons]
        assert len(cards) == 1 and Path(delivery.eml).is_file()


def test_it_gives_every_citizen_one_receipt_on_their_own_channel(outcome: Outcome) -> None:
    for report in outcome.story.reports:
        assert report.receipt and report.number
        if report.channel == "telegram":
            mine = [t for t, _ in outcome.chats[int(report.address)] if report.receipt in t]
            assert len(mine) == 1, report.who
        else:
            acks = [m for m in outcome.mail if m.kind == "ack" and report.address in m.to]
            assert len(acks) == 1, report.who
    assert all(m.to.endswith("@example.org") for m in outcome.mail if m.kind == "ack")


def test_it_relays_the_answer_to_the_right_citizen_on_their_own_channel(outcome: Outcome) -> None:
    by_who = {r.who: r for r in outcome.story.reports}
    aliya, dana = by_who["Алия"], by_who["Дана"]
    assert aliya.answer and "проверку в школе № 2" in aliya.answer
    assert dana.answer and "приостановлены до проверки" in dana.answer
    relays = [m for m in outcome.mail if m.kind == "relay"]
    assert [m.to for m in relays] == [dana.address]
    answered = [t for t, _ in outcome.chats[int(by_who["Ерболат"].address)] if "проверку" in t]
    assert answered == []
    statuses = {r.who: outcome.story.cases[r.number or ""].status for r in by_who.values()}
    assert statuses == {"Алия": "answered", "Ерболат": "new", "Марат": "new", "Дана": "answered"}


def test_it_writes_the_next_mornings_digests(outcome: Outcome) -> None:
    shown = {d.commission: d for d in outcome.story.digests}
    assert set(shown) == {"AKM", "SHY", "KAR", "ALA", "CENTRAL"}
    for digest in shown.values():
        html = digest.html.read_text(encoding="utf-8")
        assert f"{digest.png.name}" in html and digest.png.read_bytes()[:4] == b"\x89PNG"
        assert digest.group_posted
    digests = Counter(m.commission for m in outcome.mail if m.kind == "digest")
    assert set(shown) <= set(digests) and set(digests.values()) == {1}  # once each


def test_it_keeps_no_citizen_address_readable_in_the_store_file(outcome: Outcome) -> None:
    """Encryption at rest, after the demo's story: the SQLite file (and its journal) holds no
    citizen's Telegram id or email address in the clear."""
    store = b"".join(p.read_bytes() for p in outcome.root.glob("shagym.db*"))
    assert len(store) > 10_000
    for report in outcome.story.reports:
        # Delimited as text or JSON holds it; ciphertext (base64, raw bytes) may hold the same
        # few digits by chance inside a run of letters and digits.
        alone = rb"(?<![A-Za-z0-9+/])" + re.escape(report.address.encode()) + rb"(?![A-Za-z0-9+/=])"
        assert re.search(alone, store) is None, f"{report.who}'s address is readable"
