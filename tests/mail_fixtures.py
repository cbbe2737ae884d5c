"""Fixtures and helpers for the email-channel tests.

A private Dovecot per test (it starts in a tenth of a second), a migrated SQLite store, message
builders, a TCP proxy that drops a connection mid-stream, and — run as a script — the poller
child process that the crash test kills between commit and move.

Test modules bind the fixtures they use by assignment (`dovecot = mail_fixtures.dovecot`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from core.crypto import install_keyring

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # when run as a script by the crash test
    sys.path.insert(0, str(ROOT))

from core.settings import Settings, load_settings  # noqa: E402
from intake.commissions import read_file, sync_commissions  # noqa: E402
from models.db import SessionFactory, create_engine, create_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.tables import Case, InboundEmail, Notification  # noqa: E402
from sandbox.dovecot import Dovecot, unavailable_reason  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "eml"
COMMISSIONS = ROOT / "config" / "commissions.example.toml"
HOTLINE = "hotline@localhost"
CITIZEN = "citizen@mail.kz"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A private Dovecot for one test; skipped only when Dovecot cannot be installed here."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with Dovecot.start({HOTLINE: "secret"}) as server:
        yield server


@pytest.fixture
def failing_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processing fails for messages whose subject says so (a stand-in for a parser bug)."""
    import mail_ingest.ingest as ingest_module

    real = ingest_module.parse_email

    def parse(raw: bytes):  # type: ignore[no-untyped-def]
        if b"Subject: BREAK" in raw:
            raise ValueError("cannot read this one")
        return real(raw)

    monkeypatch.setattr(ingest_module, "parse_email", parse)


async def prepare_store(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_session_factory(engine)() as session:
            await sync_commissions(session, read_file(COMMISSIONS))
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def store(sqlite_url: str) -> AsyncIterator[SessionFactory]:
    """A migrated SQLite store with the example commissions (for the IMAP tests)."""
    await prepare_store(sqlite_url)
    engine = create_engine(sqlite_url)
    yield create_session_factory(engine)
    await engine.dispose()


def mail_settings(server: Dovecot, url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        **server.settings(),
        "DATABASE_URL": url,
        "ATTACHMENTS_DIR": tmp_path / "attachments",
        "MAIL_FROM": f"Shagym <{HOTLINE}>",
        "COMMISSIONS_FILE": COMMISSIONS,
        "IMAP_POLL_SECONDS": 0.05,
    }
    values.update(overrides)
    return load_settings(**values)


def complaint(
    text: str = "В Астане собрание провели без кворума, протокол подписали задним числом.",
    *,
    sender: str = CITIZEN,
    subject: str = "Жалоба",
    message_id: str | None | bool = True,
    headers: dict[str, str] | None = None,
    attachment: tuple[bytes, str, str] | None = None,
) -> bytes:
    """A plain complaint as a citizen's client would send it (CRLF line ends)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = HOTLINE
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0500"
    if message_id is True:
        msg["Message-ID"] = make_msgid(domain="mail.kz")
    elif message_id:
        msg["Message-ID"] = str(message_id)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if attachment is not None:
        content, mime, name = attachment
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


async def count(sessions: SessionFactory, table: type, *where: Any) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(table)
        for clause in where:
            query = query.where(clause)
        return int((await session.exec(query)).one())


async def snapshot(sessions: SessionFactory) -> dict[str, Any]:
    """Cases, stored messages by status, unmoved rows and acknowledgements."""
    async with sessions() as session:
        rows = (await session.exec(select(InboundEmail.status, InboundEmail.moved))).all()
    return {
        "cases": await count(sessions, Case),
        "stored": len(rows),
        "statuses": sorted(status for status, _ in rows),
        "unmoved": sum(1 for _, moved in rows if not moved),
        "acks": await count(sessions, Notification, Notification.kind == "ack"),
    }


def folder_state(server: Dovecot, folder: str) -> tuple[int, int]:
    """(messages, unseen) in a folder."""
    with server.mailbox(folder=None) as box:  # type: ignore[arg-type]
        if not box.folder.exists(folder):
            return 0, 0
        status = box.folder.status(folder, ["MESSAGES", "UNSEEN"])
    return status["MESSAGES"], status["UNSEEN"]


def message_ids_in(server: Dovecot, folder: str) -> list[str]:
    with server.mailbox(folder=folder) as box:
        return [m.headers.get("message-id", ("",))[0] for m in box.fetch(mark_seen=False)]


class DroppingProxy:
    """A loopback TCP proxy that cuts its first `drops` connections after the server has sent
    `after_bytes` (in the middle of a FETCH, say); later connections pass untouched."""

    def __init__(self, target_port: int, after_bytes: int, drops: int = 1) -> None:
        self.target_port, self.after_bytes, self.drops_left = target_port, after_bytes, drops
        self.dropped = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            limit = self.after_bytes if self.drops_left > 0 else None
            self.drops_left -= 1
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(
                target=self._pump, args=(upstream, client, limit), daemon=True
            ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limit: int | None) -> None:
        sent = 0
        with contextlib.suppress(OSError):
            while data := source.recv(4096):
                if limit is not None and sent + len(data) > limit:
                    sink.sendall(data[: limit - sent])
                    self.dropped += 1
                    break
                sink.sendall(data)
                sent += len(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._closing = True
        self.listener.close()


def copy_store(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _crash_after_commit() -> None:
    """Child process: run the poller and die by SIGKILL right after its first commit."""
    from mail_ingest.service import Backoff, MailService

    settings = load_settings()
    install_keyring(settings.keyring())  # a composition root of its own
    engine = create_engine(settings.DATABASE_URL)

    def die(_outcomes: object) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    service = MailService(
        settings,
        create_session_factory(engine),
        backoff=Backoff(base=0.01),
        after_commit=die,
        batch_messages=int(os.environ.get("SHAGYM_TEST_BATCH", "5")),
    )
    await service.run(asyncio.Event())


async def _crash_mid_batch(after_cases: int) -> None:
    """Child process: run the poller and die by SIGKILL while a batch is half processed (after
    `after_cases` cases were opened in all, before that batch's commit)."""
    import mail_ingest.decide
    from mail_ingest.service import Backoff, MailService

    real_open_case = mail_ingest.decide.open_case
    opened = 0

    async def open_case(*args: Any, **kwargs: Any) -> Any:
        nonlocal opened
        if opened == after_cases:
            os.kill(os.getpid(), signal.SIGKILL)
        opened += 1
        return await real_open_case(*args, **kwargs)

    mail_ingest.decide.open_case = open_case  # type: ignore[assignment]
    settings = load_settings()
    install_keyring(settings.keyring())
    service = MailService(
        settings,
        create_session_factory(create_engine(settings.DATABASE_URL)),
        backoff=Backoff(base=0.01),
        batch_messages=int(os.environ.get("SHAGYM_TEST_BATCH", "5")),
    )
    await service.run(asyncio.Event())


if __name__ == "__main__" and sys.argv[1:] == ["crash-after-commit"]:
    asyncio.run(_crash_after_commit())
if __name__ == "__main__" and sys.argv[1:2] == ["crash-mid-batch"]:
    asyncio.run(_crash_mid_batch(int(sys.argv[2])))
