"""Receipt codes: 16 random digits shown once to the citizen, stored only as a slow hash."""

from __future__ import annotations

import hashlib
import re
import secrets

CODE_DIGITS = 16
# A fixed salt keeps the hash deterministic so a code can be looked up; scrypt's cost makes
# trying all 10^16 codes against a stolen database impractical.
_SALT = b"shagym-receipt-v1"
_NON_DIGITS = re.compile(r"[\s\-–—.]")


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def format_code(code: str) -> str:
    """Four groups of four digits: 1234 5678 9012 3456."""
    return " ".join(code[i : i + 4] for i in range(0, CODE_DIGITS, 4))


def parse_code(text: str) -> str | None:
    digits = _NON_DIGITS.sub("", text.strip())
    return digits if len(digits) == CODE_DIGITS and digits.isdigit() else None


def hash_code(code: str) -> str:
    digest = hashlib.scrypt(code.encode(), salt=_SALT, n=2**14, r=8, p=1, dklen=32)
    return "scrypt$" + digest.hex()
