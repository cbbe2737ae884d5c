"""Receipt codes: 16 random digits shown once to the citizen, stored only as a keyed hash.

The hash is HMAC-SHA256 under a deployment key kept outside the database (`RECEIPT_KEY`, or a
key file beside the evidence files): a stolen database alone gives no way to test codes, and
hashing stays cheap enough not to slow intake (a slow KDF cost ~28 ms per case on the event
loop; see bench/README.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

CODE_DIGITS = 16
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
