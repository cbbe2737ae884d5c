"""Receipt codes: 16 random digits shown once to the citizen, stored only as a keyed hash.

The hash is HMAC-SHA256 under a deployment key kept outside the database (`RECEIPT_KEY`, or a
key file beside the evidence files): a stolen database alone gives no way to test codes, and
hashing stays cheap enough not to slow intake (a slow KDF cost ~28 ms per case on the event
loop; see bench/README.md).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

CODE_DIGITS = 16
KEY_BYTES = 32
_NON_DIGITS = re.compile(r"[\s\-–—.]")


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def format_code(code: str) -> str:
    """Four groups of four digits: 1234 5678 9012 3456."""
    return " ".join(code[i : i + 4] for i in range(0, CODE_DIGITS, 4))


def parse_code(text: str) -> str | None:
    digits = _NON_DIGITS.sub("", text.strip())
    return digits if len(digits) == CODE_DIGITS and digits.isdigit() else None


def hash_code(code: str, key: bytes = b"") -> str:
    return "hmac256$" + hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def load_or_create_key(path: Path) -> bytes:
    """The deployment's receipt key from `path`, created (mode 0600) on first use."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key
