"""The blocking IMAP side, on imap-tools: connect, list, size, fetch without marking seen, move.

Every method blocks; the poller calls them through `asyncio.to_thread`. Nothing here touches
the store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError
from imap_tools.utils import encode_folder

from core.settings import Security, Settings

CONNECT_TIMEOUT = 60.0
FETCH_CHUNK = 200  # UIDs per FETCH command
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_DATE = re.compile(r"\s*(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")

# What a dropped or refused connection looks like from imaplib and imap-tools.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # ConnectionError, TimeoutError, socket.gaierror, ssl.SSLError
    EOFError,
    imaplib.IMAP4.error,  # includes IMAP4.abort
    ImapToolsError,
)

_CLOSE_ERRORS: tuple[type[BaseException], ...] = (*CONNECTION_ERRORS, AttributeError)


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    raw: bytes
    size: int | None
    internaldate: dt.datetime | None


def parse_internaldate(value: bytes) -> dt.datetime | None:
    """`17-Jul-1996 02:44:25 -0700` → an aware UTC datetime (locale-independent)."""
    match = _DATE.match(value.decode("ascii", "replace"))
    if not match or match.group(2).title() not in _MONTHS:
        return None
    day, month, year, hh, mm, ss, sign, oh, om = match.groups()
    offset = dt.timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    local = dt.datetime(
        int(year), _MONTHS[month.title()], int(day), int(hh), int(mm), int(ss),
        tzinfo=dt.timezone(offset),
    )  # fmt: skip
    return local.astimezone(dt.UTC)


def _uid_set(uids: Sequence[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _check(result: tuple[str, list], what: str) -> list:  # type: ignore[type-arg]
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {status} {data!r}"[:500])
    return data


class ImapClient:
    """One connection to the hotline's mailbox."""

    def __init__(self, settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.ssl_context = ssl_context
        self.box: BaseMailBox | None = None
        self.capabilities: frozenset[str] = frozenset()

    @property
    def port(self) -> int:
        default = 993 if Security.ssl == self.settings.IMAP_SECURITY else 143
        return self.settings.IMAP_PORT or default

    @property
    def mailbox_name(self) -> str:
        """How stored messages name this folder: account, host and folder."""
        s = self.settings
        return f"imap://{s.IMAP_USER}@{s.IMAP_HOST}/{s.IMAP_FOLDER}"

    def _new_box(self) -> BaseMailBox:
        host, security = self.settings.IMAP_HOST or "", self.settings.IMAP_SECURITY
        context = self.ssl_context or ssl.create_default_context()
        if security == Security.ssl:
            return MailBox(host, self.port, timeout=CONNECT_TIMEOUT, ssl_context=context)
        if security == Security.starttls:
            return MailBoxStartTls(host, self.port, timeout=CONNECT_TIMEOUT, ssl_context=context)
        return MailBoxUnencrypted(host, self.port, timeout=CONNECT_TIMEOUT)

    def connect(self) -> None:
        """Log in, learn the server's capabilities, and make sure the processed folder exists."""
        box = self._new_box()
        self.box = box
        user = self.settings.IMAP_USER or ""
        secret = (
            self.settings.IMAP_PASSWORD.get_secret_value() if self.settings.IMAP_PASSWORD else ""
        )
        if (user + secret).isascii():
            box.login(user, secret, initial_folder=None)
        else:
            box.login_utf8(user, secret, initial_folder=None)
        # imaplib keeps the pre-login list; MOVE, UIDPLUS and IDLE are announced after login.
        data = _check(box.client.capability(), "CAPABILITY")
        self.capabilities = frozenset(data[-1].decode("ascii", "replace").upper().split())
        box.client.capabilities = tuple(sorted(self.capabilities))
        target = self.settings.IMAP_PROCESSED_FOLDER
        if not box.folder.exists(target):
            box.folder.create(target)

    @property
    def client(self) -> imaplib.IMAP4:
        assert self.box is not None, "connect() first"
        return self.box.client

    @property
    def can_idle(self) -> bool:
        return "IDLE" in self.capabilities

    def select(self) -> int:
        """Select the inbox folder read-write; returns its UIDVALIDITY."""
        assert self.box is not None
        self.box.folder.set(self.settings.IMAP_FOLDER)
        values = self.client.untagged_responses.get("UIDVALIDITY") or [b"0"]
        value = values[-1]
        return int(value) if isinstance(value, bytes | str) else 0

    def uids(self) -> list[int]:
        """Every message in the folder that is not marked deleted, oldest first."""
        data = _check(self.client.uid("SEARCH", "UNDELETED"), "UID SEARCH")
        return sorted(int(uid) for uid in (data[0] or b"").split())

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """RFC822.SIZE of each message, without downloading anything."""
        found: dict[int, int] = {}
        for start in range(0, len(uids), FETCH_CHUNK * 5):
            chunk = uids[start : start + FETCH_CHUNK * 5]
            data = _check(self.client.uid("FETCH", _uid_set(chunk), "(RFC822.SIZE)"), "FETCH")
            for item in data:
                line = item[0] if isinstance(item, tuple) else item
                uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
                if uid and size:
                    found[int(uid.group(1))] = int(size.group(1))
        return found

    def fetch(self, uids: Sequence[int], *, headers_only: bool = False) -> list[Fetched]:
        """Download messages with BODY.PEEK, so fetching never marks them seen."""
        section = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        result: list[Fetched] = []
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            parts = f"(UID RFC822.SIZE INTERNALDATE {section})"
            data = _check(self.client.uid("FETCH", _uid_set(chunk), parts), "FETCH")
            result.extend(_parse_fetch(data))
        return result

    def move(self, uids: Sequence[int]) -> None:
        """Flag messages seen and move them to the processed folder."""
        if not uids:
            return
        uid_set = _uid_set(uids)
        target = self.settings.IMAP_PROCESSED_FOLDER
        _check(self.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Seen)"), "STORE")
        if "MOVE" in self.capabilities:
            _check(self.client.uid("MOVE", uid_set, encode_folder(target)), "MOVE")  # type: ignore[arg-type]
            return
        _check(self.client.uid("COPY", uid_set, encode_folder(target)), "COPY")  # type: ignore[arg-type]
        _check(self.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
        if "UIDPLUS" in self.capabilities:
            _check(self.client.uid("EXPUNGE", uid_set), "UID EXPUNGE")
        else:
            _check(self.client.expunge(), "EXPUNGE")

    def idle(self, timeout: float) -> bool:
        """Wait in IDLE until the server reports a change or `timeout` passes; True on a change."""
        assert self.box is not None
        responses = self.box.idle.wait(timeout=timeout)
        return any(b"EXISTS" in line or b"RECENT" in line for line in responses)

    def interrupt(self) -> None:
        """Unblock a thread waiting on this connection (called from another thread)."""
        with contextlib.suppress(OSError, AssertionError):
            self.client.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        box, self.box = self.box, None
        if box is None:
            return
        try:
            box.logout()
        except _CLOSE_ERRORS:
            with contextlib.suppress(*_CLOSE_ERRORS):
                box.client.shutdown()


def _parse_fetch(data: list) -> list[Fetched]:  # type: ignore[type-arg]
    """imaplib's FETCH answer: (header, literal) tuples, each followed by a closing line that may
    carry the items the server sent after the literal."""
    result = []
    for index, item in enumerate(data):
        if not isinstance(item, tuple):
            continue
        trailer = data[index + 1] if index + 1 < len(data) else b""
        meta = item[0] + b" " + (trailer if isinstance(trailer, bytes) else b"")
        uid = _UID.search(meta)
        if uid is None:
            continue
        size, date = _SIZE.search(meta), _INTERNALDATE.search(meta)
        result.append(
            Fetched(
                uid=int(uid.group(1)),
                raw=item[1],
                size=int(size.group(1)) if size else None,
                internaldate=parse_internaldate(date.group(1)) if date else None,
            )
        )
    return result
