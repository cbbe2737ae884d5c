"""The proof of encryption at rest: after cases by Telegram and email (shared contacts, phones,
IINs, attachments, a raw update, a dialogue in progress), a copy of the store — the SQLite file
itself, or `pg_dump` of the PostgreSQL database — holds no citizen's phone, email address,
Telegram id or username, no IIN outside the report text, and no byte of an attachment."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Update
from mail_fixtures import HOTLINE, complaint
from sqlalchemy import text

from bot.batch import BatchWriter
from bot.ledger import UpdateLedger
from bot.storage import SqlStorage
from intake.cases import IntakeContext, open_case
from intake.raw import RawAttachment, RawReport
from mail_ingest.config import IngestSettings
from mail_ingest.ingest import Item, Source, ingest_batch
from models import search
from models.db import SessionFactory

TG_ID = 731_245_986
USERNAME = "aliya_secret_handle"
SHARED_PHONE = "+77015550199"
EMAIL = "dana.reporter@mail.kz"
SHARED_EMAIL = "dana.private@inbox.kz"
IIN = "900101300099"  # named in a report text: it stays there, plain, for the commission
PHOTO = b"\x89PNG-evidence-" + bytes(range(40, 90))
PDF = b"%PDF-1.4 secret protocol of the meeting 0xC0FFEE"


async def _tell_the_story(sessions: SessionFactory, ctx: IntakeContext) -> list[str]:
    """Returns the receipt codes the two Telegram citizens were given."""
    async with sessions() as session:
        first = await open_case(
            session,
            RawReport(
                channel="telegram",
                sender=str(TG_ID),
                text=f"В Астане, школа № 2: раздают по 5000 тенге за голос, ИИН {IIN}.",
                contact_phone=SHARED_PHONE,
                attachments=[RawAttachment(PHOTO, "image/png", "photo of the list.png")],
            ),
            ctx,
        )
        second = await open_case(
            session,
            RawReport(
                channel="telegram",
                sender=str(TG_ID + 1),
                text=f"Шымкентте ИИН {IIN} бойынша екі адам тіркелген.",
                contact_email=SHARED_EMAIL,
            ),
            ctx,
        )
        await session.commit()
    letter = complaint(
        f"В Алматы на один номер зарегистрированы 100 членов партии. Мой ИИН не {IIN}.\n--\n"
        f"Дана, {SHARED_PHONE}",
        sender=EMAIL,
        attachment=(PDF, "application/pdf", "protocol.pdf"),
    )
    settings = IngestSettings(intake=ctx, our_address=HOTLINE, max_bytes=25 * 1024 * 1024)
    await ingest_batch(sessions, [Item(letter, Source("INBOX", 7, 1))], settings)
    writer = BatchWriter(sessions)
    try:
        update = Update.model_validate({
            "update_id": 1001,
            "message": {
                "message_id": 5, "date": 1_700_000_000, "text": f"мой номер {SHARED_PHONE}",
                "chat": {"id": TG_ID, "type": "private"},
                "from": {"id": TG_ID, "is_bot": False, "first_name": "А", "username": USERNAME},
            },
        })  # fmt: skip
        await UpdateLedger(sessions, writer).record([update])
        storage = SqlStorage(sessions, writer=writer)
        key = StorageKey(bot_id=1, chat_id=TG_ID, user_id=TG_ID)
        await storage.set_data(key, {"phone": SHARED_PHONE, "email": SHARED_EMAIL})
    finally:
        await writer.close()
    return [first.receipt_code, second.receipt_code]


NEVER = [str(TG_ID), USERNAME, SHARED_PHONE, SHARED_PHONE[1:], EMAIL, SHARED_EMAIL]


async def _text_occurrences(sessions: SessionFactory, needle: str) -> int:
    """How often the plain report texts (case and thread; kept plain for full-text search)
    hold `needle`."""
    async with sessions() as session:
        found = 0
        for table in ('"case"', "message"):
            rows = await session.exec(text(f"SELECT text FROM {table}"))  # type: ignore[call-overload]
            found += sum(value.count(needle) for (value,) in rows)
        return found


def _sqlite_bytes(url: str) -> bytes:
    path = Path(url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _sqlite_bytes_without_search_index(url: str, scratch: Path) -> bytes:
    """The store as it would be without the web console's full-text index, which holds the
    words of the report texts (plain by design) as tokens: a copy with the index dropped."""
    copy = scratch / "copy.db"
    with sqlite3.connect(Path(url.split("///", 1)[1])) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        for statement in search.ddl("sqlite", drop=True):
            target.execute(statement)
        target.execute("VACUUM")
        target.execute("PRAGMA journal_mode=DELETE")  # the copy came in WAL mode: fold it in
    return copy.read_bytes()


def _pg_dump(url: str) -> bytes:
    dsn = url.replace("postgresql+asyncpg", "postgresql")
    found = subprocess.run(
        ["pg_dump", "--no-owner", dsn], capture_output=True, check=True, timeout=60
    )
    return found.stdout


async def test_it_leaves_no_personal_value_readable_in_a_copy_of_the_store(
    database_url: str, sessions: SessionFactory, intake_ctx: IntakeContext, tmp_path: Path
) -> None:
    if database_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        raise AssertionError("pg_dump is needed: install postgresql-client")
    await _tell_the_story(sessions, intake_ctx)
    iin_in_texts = await _text_occurrences(sessions, IIN)
    dump = _sqlite_bytes(database_url) if database_url.startswith("sqlite") else _pg_dump(
        database_url
    )
    assert len(dump) > 10_000  # a real copy, not an empty file
    for needle in NEVER:
        for form in {needle.encode(), needle.encode("utf-16-le")}:
            assert form not in dump, f"{needle!r} readable in the store"
    # The IIN stays in the report text only (the commission reads it): nowhere else.
    assert iin_in_texts == 6  # three reports, each in its case and its first message
    # Every copy of it in the store is inside such a text ("ИИН …"), none in an entity
    # column or a JSON document (SQLite's file holds a page more than once: its journal). The
    # full-text index repeats the texts' words as tokens; it is left out of this count.
    if database_url.startswith("sqlite"):
        dump = _sqlite_bytes_without_search_index(database_url, tmp_path)
    places = [m.start() for m in re.finditer(IIN.encode(), dump)]
    assert places
    assert all(dump[p - 8 : p].decode(errors="replace").endswith(("ИИН ", "не ")) for p in places)
    for content in (PHOTO, PDF):
        for start in range(0, len(content) - 12, 6):
            assert content[start : start + 12] not in dump


async def test_it_keeps_attachment_files_encrypted_on_disk(
    sessions: SessionFactory, intake_ctx: IntakeContext
) -> None:
    await _tell_the_story(sessions, intake_ctx)
    stored = [
        Path(root, name).read_bytes()
        for root, _, names in os.walk(intake_ctx.attachments_dir)
        for name in names
        if not name.startswith(".")
    ]
    assert len(stored) == 2
    for content in (PHOTO, PDF):
        assert all(content[:16] not in data and content[-16:] not in data for data in stored)
