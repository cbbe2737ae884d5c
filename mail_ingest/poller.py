"""One pass over the inbox: store what is new, then move what is stored.

The order is what makes it exactly-once. A message is moved out of the inbox only after the
transaction holding its raw bytes (and its case) has committed; a crash in between leaves it in
the inbox, where the next pass finds its (mailbox, UIDVALIDITY, UID) already stored and only
moves it. After a UIDVALIDITY change those positions mean nothing, so it is fetched again and
recognised by its content hash: never ingested twice, never skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

from core.settings import Settings
from mail_ingest.config import ingest_settings
from mail_ingest.imap import Fetched, ImapClient
from mail_ingest.ingest import (
    Item,
    Outcome,
    Source,
    ingest_batch,
    mark_moved,
    stored_positions,
)
from models.db import SessionFactory

log = logging.getLogger(__name__)
BATCH_MESSAGES = 100  # messages per transaction
BATCH_BYTES = 32 * 1024 * 1024  # and at most this much mail held in memory at once

AfterCommit = Callable[[list[Outcome]], Awaitable[None] | None]


@dataclass(slots=True)
class PassReport:
    """What one pass did (for logs and tests)."""

    moved_only: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)


def batches(
    uids: Sequence[int], sizes: dict[int, int], limit: int, count: int = BATCH_MESSAGES
) -> Iterator[list[int]]:
    """Consecutive groups of at most `count` messages and about BATCH_BYTES of mail."""
    batch: list[int] = []
    held = 0
    for uid in uids:
        size = min(sizes.get(uid, 0), limit)
        if batch and (len(batch) >= count or held + size > BATCH_BYTES):
            yield batch
            batch, held = [], 0
        batch.append(uid)
        held += size
    if batch:
        yield batch


class InboxPass:
    """Runs passes over one connected client; `after_commit` is a test seam (crash injection)."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionFactory,
        *,
        after_commit: AfterCommit | None = None,
        batch_messages: int = BATCH_MESSAGES,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.ingest = ingest_settings(settings)
        self.after_commit = after_commit
        self.batch_messages = batch_messages

    async def run(self, client: ImapClient) -> PassReport:
        report = PassReport()
        mailbox = client.mailbox_name
        uidvalidity = await asyncio.to_thread(client.select)
        uids = await asyncio.to_thread(client.uids)
        if not uids:
            return report
        stored = await stored_positions(self.sessions, mailbox, uidvalidity, uids)
        if stored:
            # Committed before a crash or a lost connection: only the move is missing.
            await self._move(client, list(stored), [row.id for row in stored.values() if row.id])
            report.moved_only = len(stored)
            log.info("moved %d message(s) stored earlier", len(stored))
        new = [uid for uid in uids if uid not in stored]
        sizes = await asyncio.to_thread(client.sizes, new) if new else {}
        for batch in batches(new, sizes, self.ingest.max_bytes, self.batch_messages):
            items = await self._fetch(client, mailbox, uidvalidity, batch, sizes)
            outcomes = await ingest_batch(self.sessions, items, self.ingest)
            report.outcomes.extend(outcomes)
            if self.after_commit is not None:
                maybe = self.after_commit(outcomes)
                if maybe is not None:
                    await maybe
            moved_ids = [o.inbound_id for o in outcomes if o.inbound_id is not None]
            await self._move(client, [item.source.uid or 0 for item in items], moved_ids)
        return report

    async def _fetch(
        self,
        client: ImapClient,
        mailbox: str,
        uidvalidity: int,
        batch: list[int],
        sizes: dict[int, int],
    ) -> list[Item]:
        limit = self.ingest.max_bytes
        small = [uid for uid in batch if sizes.get(uid, 0) <= limit]
        large = [uid for uid in batch if sizes.get(uid, 0) > limit]
        fetched = await asyncio.to_thread(client.fetch, small) if small else []
        if large:
            log.warning("%d message(s) over IMAP_MAX_BYTES: headers only", len(large))
            fetched += await asyncio.to_thread(client.fetch, large, headers_only=True)
        large_set = set(large)
        return [self._item(f, mailbox, uidvalidity, sizes, f.uid in large_set) for f in fetched]

    @staticmethod
    def _item(
        fetched: Fetched, mailbox: str, uidvalidity: int, sizes: dict[int, int], headers_only: bool
    ) -> Item:
        source = Source(
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=fetched.uid,
            size=sizes.get(fetched.uid) or fetched.size or len(fetched.raw),
            received_at=fetched.internaldate,
            headers_only=headers_only,
        )
        return Item(fetched.raw, source)

    async def _move(self, client: ImapClient, uids: list[int], inbound_ids: list[int]) -> None:
        await asyncio.to_thread(client.move, sorted(uid for uid in uids if uid))
        await mark_moved(self.sessions, inbound_ids)
