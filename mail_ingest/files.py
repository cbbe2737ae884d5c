"""The IMAP ingest path fed from files: `.eml` messages, mbox exports, folders of either."""

from __future__ import annotations

import asyncio
import logging
import mailbox
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mail_ingest.config import IngestSettings
from mail_ingest.ingest import Item, Source, TransientError, ingest_batch
from models.db import SessionFactory

log = logging.getLogger(__name__)
FILE_MAILBOX = "file"
BATCH = 50
RETRIES = 5


@dataclass(frozen=True, slots=True)
class FileResult:
    """One JSON line of `shagym ingest-eml`."""

    file: str
    status: str
    case: str | None
    reason: str | None
    path: Path  # the input file (an mbox yields several results)

    def as_json(self) -> dict[str, str | None]:
        return {"file": self.file, "status": self.status, "case": self.case, "reason": self.reason}


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders (a Maildir, an export) recursively, in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        else:
            yield path


_MBOX_FROM_LINE = re.compile(rb"^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ")
_HEADER_LINE = re.compile(rb"^(?:From |[!-9;-~]{1,76}[ \t]*:)")


def looks_like_mail(raw: bytes) -> bool:
    """A message starts with a header field (or an mbox "From " line); a README does not."""
    return bool(_HEADER_LINE.match(raw.lstrip(b"\r\n")[:100]))


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return bool(_MBOX_FROM_LINE.match(handle.read(200)))


def messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) of each message in a file: one for .eml, one per message in an mbox."""
    if not _is_mbox(path):
        yield str(path), path.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for index, key in enumerate(box.iterkeys()):
            raw = box.get_bytes(key)
            label = str(path) if len(box) == 1 else f"{path}:{index + 1}"
            yield label, raw
    finally:
        box.close()


def _unreadable(path: Path, exc: OSError) -> FileResult:
    reason = f"cannot read file: {exc.strerror or exc}"
    return FileResult(str(path), "ignored", None, reason, path)


Pending = list[tuple[str, Path, Item]]


async def _commit(
    sessions: SessionFactory, batch: Pending, settings: IngestSettings
) -> list[FileResult]:
    delay = 0.5
    for attempt in range(RETRIES):
        try:
            outcomes = await ingest_batch(sessions, [item for _, _, item in batch], settings)
            break
        except TransientError:
            if attempt == RETRIES - 1:
                raise
            log.warning("store busy; retrying in %.1fs", delay)
            await asyncio.sleep(delay)
            delay *= 2
    return [
        FileResult(label, outcome.status, outcome.case, outcome.reason, path)
        for (label, path, _), outcome in zip(batch, outcomes, strict=True)
    ]


async def ingest_files(
    sessions: SessionFactory, paths: Iterable[Path], settings: IngestSettings
) -> AsyncIterator[FileResult]:
    """Ingest every message; yields one result per message once its batch has committed."""
    batch: Pending = []
    for path in expand(paths):
        try:
            found = list(messages(path))
        except OSError as exc:
            yield _unreadable(path, exc)
            continue
        for label, raw in found:
            if not looks_like_mail(raw):
                yield FileResult(label, "ignored", None, "not an email message", path)
                continue
            source = Source(mailbox=FILE_MAILBOX, size=len(raw), date_from_header=True)
            batch.append((label, path, Item(raw, source)))
            if len(batch) >= BATCH:
                for result in await _commit(sessions, batch, settings):
                    yield result
                batch = []
    if batch:
        for result in await _commit(sessions, batch, settings):
            yield result
