"""Evidence files stored by content hash; the sender's file name never touches the disk."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


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
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(digest, len(content), relative)


def read_bytes(root: Path, relative_path: str) -> bytes | None:
    """The bytes of a stored evidence file, or None when it is missing. Every reader of
    evidence goes through here (the one place an encryption-at-rest change has to touch)."""
    target = (root / relative_path).resolve()
    if root.resolve() not in target.parents:
        return None  # a path in the store never leaves ATTACHMENTS_DIR
    try:
        return target.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
