"""Backups that restore: the store (SQLite online backup API, or `pg_dump`), the evidence files
and the hash and receipt key files, in one tar encrypted under the data key.

The file is `SHAGYM-BACKUP-1`, the key id, then chunks of up to 1 MiB, each AES-GCM sealed with
its index and whether it is the last one as associated data: a chunk cut off, reordered or
changed fails the restore instead of restoring half a store. Restoring needs the data key the
backup names (keep old keys as long as backups made under them); the data key itself is never
in the backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from core.crypto import Keyring, KeyringError, parse_key
from core.errors import CliError
from core.settings import Settings

MAGIC = b"SHAGYM-BACKUP-1\n"
CHUNK = 1 << 20
KEY_FILES = (".hash-key", ".receipt-key")  # beside the evidence; never .data-key


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql", 1)


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _check_pg_tools(url: str, tool: str) -> None:
    if shutil.which(tool) is None:
        raise CliError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    client = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True)
    server = subprocess.run(
        ["psql", _dsn(url), "-tAc", "SHOW server_version_num"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if server.returncode != 0:
        raise CliError(f"cannot reach the PostgreSQL store: {server.stderr.strip()[:200]}")
    client_major = int(client.stdout.split()[-1].split(".")[0])
    if client_major < int(server.stdout.strip()) // 10000:
        raise CliError(f"{tool} {client_major} is older than the server; install a newer one")


def _snapshot(settings: Settings, into: Path) -> Path:
    url = settings.DATABASE_URL
    if url.startswith("sqlite"):
        target = into / "store.sqlite"
        source = sqlite3.connect(_sqlite_path(url))
        try:
            with sqlite3.connect(target) as copy:
                source.backup(copy)  # consistent while the service keeps writing
        finally:
            source.close()
        return target
    _check_pg_tools(url, "pg_dump")
    target = into / "store.pgdump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), _dsn(url)],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


def _seal(ring: Keyring, plain: Path, target: Path) -> None:
    kid = ring.primary_id
    aead = ring.cipher(kid)
    with plain.open("rb") as source, target.open("wb") as sink:
        sink.write(MAGIC + kid.encode() + b"\n")
        index, chunk = 0, source.read(CHUNK)
        while True:
            following = source.read(CHUNK)
            last = not following
            nonce = os.urandom(12)
            sealed = aead.encrypt(nonce, chunk, _aad(index, last))
            sink.write(len(sealed).to_bytes(4, "big") + nonce + sealed)
            if last:
                return
            index, chunk = index + 1, following


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + index.to_bytes(8, "big") + (b"\1" if last else b"\0")


def _chunks_after(source: Path, offset: int) -> Iterator[tuple[bytes, bytes, bool]]:
    """(nonce, sealed chunk, is it the last) from `offset` on, reading one chunk ahead."""
    with source.open("rb") as handle:
        handle.seek(offset)

        def read() -> tuple[bytes, bytes] | None:
            head = handle.read(16)
            if len(head) < 16:
                return None
            return head[4:16], handle.read(int.from_bytes(head[:4], "big"))

        current = read()
        while current is not None:
            following = read()
            yield current[0], current[1], following is None
            current = following


def _open_sealed(ring: Keyring, source: Path, plain: Path) -> None:
    with source.open("rb") as handle:
        header = handle.read(len(MAGIC) + 9)
    if not header.startswith(MAGIC):
        raise CliError(f"{source} is not a shagym backup")
    kid = header[len(MAGIC) : len(MAGIC) + 8].decode()
    try:
        aead = ring.cipher(kid)
    except KeyringError as exc:
        raise CliError(f"the backup is encrypted under key {kid}: put it in DATA_KEY") from exc
    with plain.open("wb") as sink:
        for index, (nonce, sealed, last) in enumerate(_chunks_after(source, len(header))):
            try:
                sink.write(aead.decrypt(nonce, sealed, _aad(index, last)))
            except Exception as exc:  # InvalidTag: cut, reordered or changed
                raise CliError(f"{source} is damaged or incomplete (chunk {index})") from exc


def backup(settings: Settings, target: Path) -> int:
    """Write the encrypted backup; returns how many evidence files it holds."""
    ring = settings.keyring()
    root = settings.ATTACHMENTS_DIR
    with tempfile.TemporaryDirectory(prefix="shagym-backup-") as work:
        store = _snapshot(settings, Path(work))
        archive = Path(work) / "backup.tar"
        files = 0
        with tarfile.open(archive, "w") as tar:
            tar.add(store, arcname=store.name)
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                relative = path.relative_to(root)
                if path.is_file() and (path.name in KEY_FILES or len(relative.parts) == 3):
                    tar.add(path, arcname=f"attachments/{relative}")
                    files += path.name not in KEY_FILES
        partial = target.with_name(target.name + ".partial")
        _seal(ring, archive, partial)
        os.replace(partial, target)
    return files


async def _store_is_empty(url: str) -> bool:
    from sqlalchemy import inspect

    from models.db import create_engine

    if url.startswith("sqlite") and not _sqlite_path(url).exists():
        return True
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return not tables


def _evidence_present(root: Path) -> bool:
    return root.is_dir() and any(p.is_file() for p in root.glob("??/??/*"))


async def restore(settings: Settings, source: Path) -> int:
    """Restore a backup into an empty store and an empty evidence folder; returns how many
    evidence files came back."""
    url = settings.DATABASE_URL
    root = settings.ATTACHMENTS_DIR
    if not await _store_is_empty(url):
        raise CliError("the store is not empty: restore goes into a new database only")
    if _evidence_present(root):
        raise CliError(f"{root} already holds evidence files: restore into an empty folder")
    # Only the data keys: the hash and receipt keys come from the backup itself.
    ring = Keyring(tuple(parse_key(k) for k in settings.data_keys()), bytes(32))
    with tempfile.TemporaryDirectory(prefix="shagym-restore-") as work:
        archive = Path(work) / "backup.tar"
        _open_sealed(ring, source, archive)
        with tarfile.open(archive) as tar:
            tar.extractall(work, filter="data")
        _restore_store(url, Path(work))
        files = 0
        unpacked = Path(work) / "attachments"
        for path in sorted(unpacked.rglob("*")) if unpacked.is_dir() else []:
            target = root / path.relative_to(unpacked)
            # An empty store's generated hash or receipt key gives way to the backup's.
            if path.is_file() and (path.name in KEY_FILES or not target.exists()):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                files += path.name not in KEY_FILES
    return files


def _restore_store(url: str, work: Path) -> None:
    if url.startswith("sqlite"):
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in target.parent.glob(target.name + "-*"):  # an empty store's WAL files
            stale.unlink()
        shutil.copy2(work / "store.sqlite", target)
        return
    _check_pg_tools(url, "pg_restore")
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _dsn(url),
         str(work / "store.pgdump")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise CliError(f"pg_restore failed: {done.stderr.strip()[:300]}")
