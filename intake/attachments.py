"""Evidence files stored by content hash; the sender's file name never touches the disk.

A file is named by the SHA-256 of its original content (the evidence's fingerprint) and holds
that content encrypted under the data key (core.crypto); `read_attachment` is the one way to
read it back. Files written before encryption at rest are read as they are.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.crypto import keyring


@dataclass(frozen=True, slots=True)
class StoredFile:
    sha256: str
    size: int
    relative_path: str


def relative_path_for(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


def store_bytes(root: Path, content: bytes) -> StoredFile:
    """Write content under root by its SHA-256, atomically; a second write is a no-op."""
    digest = hashlib.sha256(content).hexdigest()
    relative = relative_path_for(digest)
    target = root / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(keyring().encrypt_bytes(content))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(digest, len(content), relative)


def read_attachment(root: Path, relative: str) -> bytes:
    """The original content of the evidence file at `relative` under root (decrypted)."""
    return keyring().decrypt_bytes((root / relative).read_bytes())


def read_by_hash(root: Path, sha256: str) -> bytes:
    return read_attachment(root, relative_path_for(sha256))


def read_bytes(root: Path, relative_path: str) -> bytes | None:
    """The original (decrypted) content of a stored evidence file, or None when it is missing
    or its path would leave ATTACHMENTS_DIR. Readers that show or send evidence use this."""
    target = (root / relative_path).resolve()
    if root.resolve() not in target.parents:
        return None  # a path in the store never leaves ATTACHMENTS_DIR
    try:
        return read_attachment(root, relative_path)
    except (FileNotFoundError, IsADirectoryError):
        return None
