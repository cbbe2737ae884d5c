"""Which key each encrypted value is under, and re-encrypting them under the first data key.

`rotate` walks each encrypted column in primary-key order, a batch per transaction: a value
already under the first key is left alone, so after a kill the next run goes on where this
one stopped (it re-reads what is done, it rewrites nothing twice). Until it is done every older
key of DATA_KEY stays needed; `status` says which are still in use.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, text
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core.crypto import Keyring, token_key_id
from models.db import SessionFactory
from models.types import EncryptedBytes, EncryptedJSON, EncryptedText

BATCH = 500
PLAIN = "plain"  # a value written before encryption at rest


@dataclass(frozen=True, slots=True)
class Target:
    table: str
    key: str
    column: str
    binary: bool


def targets() -> Iterator[Target]:
    """Every encrypted column of the schema, found by its type."""
    for table in SQLModel.metadata.sorted_tables:
        assert isinstance(table, Table)
        [key] = [c.name for c in table.primary_key.columns]
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedJSON | EncryptedBytes):
                yield Target(table.name, key, column.name, isinstance(column.type, EncryptedBytes))


def _q(name: str) -> str:
    return f'"{name}"'


async def count_keys(session: AsyncSession) -> dict[str, Counter[str]]:
    """For each `table.column`, how many values are under each key id (or plain)."""
    found: dict[str, Counter[str]] = {}
    for t in targets():
        rows = await session.exec(  # type: ignore[call-overload]
            text(
                f"SELECT substr({_q(t.column)}, 1, 11), count(*) FROM {_q(t.table)} "
                f"WHERE {_q(t.column)} IS NOT NULL GROUP BY 1"
            )
        )
        counter: Counter[str] = Counter()
        for head, n in rows:
            counter[token_key_id(bytes(head) if t.binary else head) or PLAIN] += n
        found[f"{t.table}.{t.column}"] = counter
    return found


def _reseal(ring: Keyring, t: Target, value: Any) -> Any:
    if t.binary:
        return ring.encrypt_bytes(ring.decrypt_bytes(bytes(value)))
    return ring.encrypt_text(ring.decrypt_text(value))


async def _batch(session: AsyncSession, ring: Keyring, t: Target, after: Any) -> tuple[Any, int]:
    where = f"WHERE {_q(t.key)} > :after " if after is not None else ""
    rows = list(
        await session.exec(  # type: ignore[call-overload]
            text(
                f"SELECT {_q(t.key)}, {_q(t.column)} FROM {_q(t.table)} {where}"
                f"ORDER BY {_q(t.key)} LIMIT {BATCH}"
            ),
            params={"after": after} if after is not None else {},
        )
    )
    if not rows:
        return None, 0
    stale = [
        {"k": key, "v": _reseal(ring, t, value)}
        for key, value in rows
        if value is not None
        and token_key_id(bytes(value) if t.binary else value) != ring.primary_id
    ]
    if stale:
        await session.exec(  # type: ignore[call-overload]
            text(f"UPDATE {_q(t.table)} SET {_q(t.column)} = :v WHERE {_q(t.key)} = :k"),
            params=stale,
        )
    return rows[-1][0], len(stale)


async def rotate_rows(
    sessions: SessionFactory, ring: Keyring, progress: Callable[[str, int], None]
) -> int:
    """Re-encrypt every value not under the first key, a committed batch at a time."""
    total = 0
    for t in targets():
        after: Any = None
        while True:
            async with sessions() as session:
                after, changed = await _batch(session, ring, t, after)
                await session.commit()
            if after is None:
                break
            total += changed
            if changed:
                progress(f"{t.table}.{t.column}", changed)
    return total


def attachment_files(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.glob("??/??/*")):
            if path.is_file() and not path.name.startswith("."):
                yield path


def file_key(path: Path) -> str:
    with path.open("rb") as handle:
        return token_key_id(handle.read(11)) or PLAIN


def rotate_files(root: Path, ring: Keyring) -> int:
    """Re-encrypt each evidence file not under the first key (each one atomically)."""
    changed = 0
    for path in attachment_files(root):
        if file_key(path) != ring.primary_id:
            rewrite_file(path, ring.encrypt_bytes(ring.decrypt_bytes(path.read_bytes())))
            changed += 1
    return changed


def rewrite_file(path: Path, content: bytes) -> None:
    """Replace a stored file's bytes atomically: a kill leaves the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
