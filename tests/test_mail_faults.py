"""Fault tests against a real Dovecot: whatever breaks, no complaint is lost or doubled."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import mail_fixtures
import pytest
from mail_fixtures import (
    COMMISSIONS,
    HOTLINE,
    ROOT,
    DroppingProxy,
    complaint,
    folder_state,
    mail_settings,
    message_ids_in,
    snapshot,
)
from sqlalchemy import event

from core.settings import Settings
from mail_ingest.config import IngestSettings
from mail_ingest.imap import ImapClient
from mail_ingest.ingest import Item, Source, TransientError, ingest_batch
from mail_ingest.poller import InboxPass
from mail_ingest.service import Backoff, MailService
from models.db import SessionFactory, create_engine, create_session_factory
from sandbox.dovecot import Dovecot
from tests.conftest import TEST_KEYRING

GUARD = 240.0  # turns a hang into a failure; never reached when things work
dovecot = mail_fixtures.dovecot
store = mail_fixtures.store
failing_parser = mail_fixtures.failing_parser


@asynccontextmanager
async def running(service: MailService) -> AsyncIterator[MailService]:
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    try:
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


async def one_pass(settings: Settings, sessions: SessionFactory, **kwargs):  # type: ignore[no-untyped-def]
    service = MailService(settings, sessions, backoff=Backoff(base=0.01), **kwargs)
    async with running(service):
        return await asyncio.wait_for(service.wait_passes(1), timeout=GUARD)


def texts(count: int, prefix: str = "В Астане нарушение") -> list[bytes]:
    return [
        complaint(f"{prefix} номер {i}: протокол подписали задним числом.") for i in range(count)
    ]


async def assert_all_once(server: Dovecot, sessions: SessionFactory, count: int) -> None:
    state = await snapshot(sessions)
    assert (state["cases"], state["stored"], state["unmoved"]) == (count, count, 0)
    assert folder_state(server, "INBOX") == (0, 0)
    moved = message_ids_in(server, "Processed")
    assert len(moved) == count and len(set(moved)) == count


def run_child(server: Dovecot, settings: Settings, url: str, tmp_path: Path, *mode: str) -> None:
    """Run the poller in a child process (tests/mail_fixtures.py `mode`) that kills itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMAP_", "SMTP_", "BOT_"))}
    env.update({k: str(v) for k, v in server.settings().items()})
    env.update(
        DATABASE_URL=url,
        ATTACHMENTS_DIR=str(tmp_path / "attachments"),
        COMMISSIONS_FILE=str(COMMISSIONS),
        MAIL_FROM=settings.MAIL_FROM,
        PYTHONPATH=str(ROOT),
        SHAGYM_TEST_BATCH="5",
        DATA_KEY=TEST_KEYRING.data_keys[0].hex(),  # what the child writes reads back here
        HASH_KEY=TEST_KEYRING.hash_key.hex(),
    )
    child = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "mail_fixtures.py"), *mode],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=GUARD,
    )
    assert child.returncode == -9, child.stderr.decode()[-2000:]


async def test_it_survives_a_kill_between_commit_and_move(
    dovecot, store, sqlite_url, tmp_path
) -> None:
    dovecot.append(texts(12))
    settings = mail_settings(dovecot, sqlite_url, tmp_path)
    run_child(dovecot, settings, sqlite_url, tmp_path, "crash-after-commit")
    killed = await snapshot(store)
    assert (killed["stored"], killed["unmoved"]) == (5, 5)  # committed, never moved
    assert folder_state(dovecot, "INBOX") == (12, 12)
    report = await one_pass(settings, store)
    assert report.moved_only == 5 and report.count("created") == 7
    await assert_all_once(dovecot, store, 12)


async def test_it_survives_a_kill_in_the_middle_of_a_batch(
    dovecot, store, sqlite_url, tmp_path
) -> None:
    """Batches of 5 are processed without savepoints and committed at once: a kill at the
    third message of the second batch keeps the first batch (committed and moved) and leaves
    nothing of the second, which the next pass takes whole."""
    dovecot.append(texts(12))
    settings = mail_settings(dovecot, sqlite_url, tmp_path)
    run_child(dovecot, settings, sqlite_url, tmp_path, "crash-mid-batch", "7")
    killed = await snapshot(store)
    assert (killed["cases"], killed["stored"], killed["unmoved"]) == (5, 5, 0)
    assert folder_state(dovecot, "INBOX") == (7, 7)  # the rest: untouched, still unseen
    report = await one_pass(settings, store)
    assert report.moved_only == 0 and report.count("created") == 7
    await assert_all_once(dovecot, store, 12)


@pytest.mark.usefixtures("failing_parser")
async def test_it_quarantines_only_the_bad_message_of_a_batch(
    dovecot, store, sqlite_url, tmp_path
) -> None:
    # The bad one is the second message of the second batch of 5.
    mail = [complaint(f"В Астане нарушение номер {i}.", subject="Жалоба") for i in range(12)]
    mail[6] = complaint("В Астане нарушение номер 6.", subject="BREAK")
    dovecot.append(mail)
    report = await one_pass(mail_settings(dovecot, sqlite_url, tmp_path), store, batch_messages=5)
    assert (report.count("created"), report.count("quarantined")) == (11, 1)
    state = await snapshot(store)
    assert (state["cases"], state["stored"], state["unmoved"], state["acks"]) == (11, 12, 0, 1)
    assert folder_state(dovecot, "INBOX") == (0, 0)
    moved = message_ids_in(dovecot, "Processed")
    assert len(moved) == 12 and len(set(moved)) == 12


async def test_it_recovers_from_a_connection_dropped_mid_fetch(
    dovecot, store, sqlite_url, tmp_path
) -> None:
    padding = "Подробности. " * 400  # about 8 kB a message: the FETCH spans many reads
    dovecot.append([complaint(f"В Астане нарушение номер {i}. {padding}") for i in range(20)])
    proxy = DroppingProxy(dovecot.port, after_bytes=40_000)
    try:
        settings = mail_settings(dovecot, sqlite_url, tmp_path, IMAP_PORT=proxy.port)
        service = MailService(settings, store, backoff=Backoff(base=0.01))
        async with running(service):
            await asyncio.wait_for(service.wait_passes(1), timeout=GUARD)
    finally:
        proxy.close()
    assert proxy.dropped == 1 and service.errors >= 1
    await assert_all_once(dovecot, store, 20)


@pytest.fixture
async def impatient_store(sqlite_url: str, store: SessionFactory) -> AsyncIterator[SessionFactory]:
    """The same store, but giving up on a lock after 50 ms instead of 30 s."""
    engine = create_engine(sqlite_url)

    @event.listens_for(engine.sync_engine, "connect")
    def _short_wait(connection, _record) -> None:  # type: ignore[no-untyped-def]
        connection.execute("PRAGMA busy_timeout=50")

    yield create_session_factory(engine)
    await engine.dispose()


def locked(url: str) -> sqlite3.Connection:
    holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


async def test_it_treats_a_locked_database_as_transient(
    impatient_store, sqlite_url, intake_ctx
) -> None:
    holder = locked(sqlite_url)
    config = IngestSettings(intake=intake_ctx, our_address=HOTLINE, max_bytes=1_000_000)
    with pytest.raises(TransientError):
        await ingest_batch(impatient_store, [Item(complaint(), Source("test"))], config)
    holder.rollback()
    holder.close()
    assert (await snapshot(impatient_store))["stored"] == 0  # not quarantined: retried later


async def test_it_waits_out_a_locked_database(
    dovecot, impatient_store, sqlite_url, tmp_path
) -> None:
    dovecot.append(texts(4))
    settings = mail_settings(dovecot, sqlite_url, tmp_path)
    holder = locked(sqlite_url)
    service = MailService(settings, impatient_store, backoff=Backoff(base=0.01, cap=0.2))
    async with running(service):
        await asyncio.wait_for(service.wait_errors(2), timeout=GUARD)
        assert folder_state(dovecot, "INBOX") == (4, 4)  # untouched, still unseen
        holder.rollback()
        holder.close()
        await asyncio.wait_for(service.wait_passes(1), timeout=GUARD)
    await assert_all_once(dovecot, impatient_store, 4)


def uidvalidity(server: Dovecot, folder: str) -> int:
    with server.mailbox(folder=None) as box:  # type: ignore[arg-type]
        return int(box.folder.status(folder, ["UIDVALIDITY"])["UIDVALIDITY"])


async def test_it_neither_reingests_nor_skips_after_a_uidvalidity_reset(
    dovecot, store, sqlite_url, tmp_path
) -> None:
    settings = mail_settings(dovecot, sqlite_url, tmp_path, IMAP_FOLDER="Complaints")
    old = texts(5, "В Астане старое")
    dovecot.append(old, folder="Complaints")

    def crash(_outcomes: object) -> None:
        raise RuntimeError("crash between commit and move")

    first = ImapClient(settings)
    await asyncio.to_thread(first.connect)
    with pytest.raises(RuntimeError):
        await InboxPass(settings, store, after_commit=crash).run(first)
    await asyncio.to_thread(first.close)
    before = uidvalidity(dovecot, "Complaints")
    # The server rebuilds the folder: new UIDVALIDITY, UIDs from 1 again. New mail takes the
    # UIDs the stored messages had, so trusting old UIDs would skip it.
    with dovecot.mailbox(folder=None) as box:
        box.folder.delete("Complaints")
        box.folder.create("Complaints")
    dovecot.append(texts(3, "В Алматы новое") + old, folder="Complaints")
    after = uidvalidity(dovecot, "Complaints")
    assert after != before
    second = ImapClient(settings)
    await asyncio.to_thread(second.connect)
    report = await InboxPass(settings, store).run(second)
    await asyncio.to_thread(second.close)
    assert (report.count("created"), report.count("duplicate")) == (3, 5)
    state = await snapshot(store)
    assert (state["cases"], state["stored"], state["unmoved"]) == (8, 8, 0)
    assert folder_state(dovecot, "Complaints") == (0, 0)


async def test_it_takes_the_same_message_twice_once(dovecot, store, sqlite_url, tmp_path):
    raw = complaint()
    dovecot.append([raw, raw])
    report = await one_pass(mail_settings(dovecot, sqlite_url, tmp_path), store)
    assert sorted(o.status for o in report.outcomes) == ["created", "duplicate"]
    assert (await snapshot(store))["cases"] == 1
    assert folder_state(dovecot, "INBOX") == (0, 0)
    assert folder_state(dovecot, "Processed") == (2, 0)


async def test_it_takes_mail_without_a_message_id_once(dovecot, store, sqlite_url, tmp_path):
    raw = complaint(message_id=None)
    dovecot.append([raw, raw, complaint("В Алматы другое.", message_id=None)])
    report = await one_pass(mail_settings(dovecot, sqlite_url, tmp_path), store)
    assert sorted(o.status for o in report.outcomes) == ["created", "created", "duplicate"]
    assert (await snapshot(store))["cases"] == 2
    assert folder_state(dovecot, "INBOX") == (0, 0)


@pytest.mark.slow
async def test_it_acknowledges_one_sender_once_for_a_thousand_messages(
    dovecot, store, sqlite_url, tmp_path
) -> None:
    dovecot.append(texts(1000))
    report = await one_pass(mail_settings(dovecot, sqlite_url, tmp_path), store)
    assert report.count("created") == 1000
    state = await snapshot(store)
    assert (state["cases"], state["acks"], state["unmoved"]) == (1000, 1, 0)
    assert folder_state(dovecot, "INBOX") == (0, 0)
    assert folder_state(dovecot, "Processed") == (1000, 0)
