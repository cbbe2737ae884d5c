"""Encryption at rest: AES-GCM under the data keys, keyed hashes under a separate hash key.

A value encrypted here carries the id of its key: text as ``v1:<key id>:<base64 nonce +
ciphertext>``, bytes as ``v1:<key id>:`` followed by the raw nonce and ciphertext. The first
data key encrypts; every key of the ring decrypts, so a rotation can re-encrypt row by row while
the old key stays readable. Equality lookups (a citizen's address, a phone or IIN shared by
several cases) compare HMAC-SHA256 hashes under the hash key, never the plain value.

The keyring is a process-level registry, installed explicitly by the composition root
(`shagym.store.open_store`, the runner, the tests' fixtures) before the store is used: the
column types of `models.types` need it when SQLAlchemy binds a parameter or reads a row, deep
inside calls that cannot be given an argument. Nothing here reads the environment; the keys
come from `core.settings.Settings.keyring()`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
VERSION = "v1"
_PREFIX = VERSION + ":"
_PREFIX_BYTES = _PREFIX.encode()


class KeyringError(Exception):
    """A value cannot be decrypted (unknown key id, tampered) or no keyring is installed."""


def key_id(key: bytes) -> str:
    """A short public name of a key: what each encrypted value says it was encrypted under."""
    return hashlib.sha256(b"shagym key id\0" + key).hexdigest()[:8]


def parse_key(text: str) -> bytes:
    """A 32-byte key written as 64 hex digits or URL-safe base64."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 2 * KEY_BYTES else base64.urlsafe_b64decode(
            text + "=" * (-len(text) % 4)
        )
    except (ValueError, binascii.Error) as exc:
        raise ValueError("a key is 64 hex digits or 32 bytes in URL-safe base64") from exc
    if len(key) != KEY_BYTES:
        raise ValueError("a key is 64 hex digits or 32 bytes in URL-safe base64")
    return key


def new_key_text() -> str:
    return os.urandom(KEY_BYTES).hex()


@dataclass(frozen=True)
class Keyring:
    """The data keys (the first one encrypts) and the hash key."""

    data_keys: tuple[bytes, ...]
    hash_key: bytes
    _aead: dict[str, AESGCM] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.data_keys:
            raise ValueError("a keyring needs at least one data key")
        for key in self.data_keys:
            self._aead.setdefault(key_id(key), AESGCM(key))

    @property
    def primary_id(self) -> str:
        return key_id(self.data_keys[0])

    @property
    def key_ids(self) -> list[str]:
        return [key_id(key) for key in self.data_keys]

    def cipher(self, kid: str | None = None) -> AESGCM:
        """The AES-GCM of a key of the ring (default: the one that encrypts)."""
        aead = self._aead.get(kid or self.primary_id)
        if aead is None:
            raise KeyringError(f"encrypted under key {kid}, which DATA_KEY does not hold")
        return aead

    def encrypt_bytes(self, plain: bytes) -> bytes:
        kid = self.primary_id
        nonce = os.urandom(NONCE_BYTES)
        return b"%s%s:%s%s" % (
            _PREFIX_BYTES, kid.encode(), nonce, self._aead[kid].encrypt(nonce, plain, None)
        )

    def decrypt_bytes(self, token: bytes) -> bytes:
        if not token.startswith(_PREFIX_BYTES):
            return token  # written before encryption at rest (see migration 0009)
        kid = token[3:11].decode("ascii", "replace")
        body = token[12:]
        return self._open(kid, body[:NONCE_BYTES], body[NONCE_BYTES:])

    def encrypt_text(self, plain: str) -> str:
        kid = self.primary_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[kid].encrypt(nonce, plain.encode(), None)
        return f"{_PREFIX}{kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt_text(self, token: str) -> str:
        if not token.startswith(_PREFIX):
            return token  # written before encryption at rest (see migration 0009)
        kid, _, body = token[3:].partition(":")
        raw = base64.b64decode(body)
        return self._open(kid, raw[:NONCE_BYTES], raw[NONCE_BYTES:]).decode()

    def _open(self, kid: str, nonce: bytes, sealed: bytes) -> bytes:
        aead = self._aead.get(kid)
        if aead is None:
            raise KeyringError(f"value encrypted under key {kid}, which DATA_KEY does not hold")
        try:
            return aead.decrypt(nonce, sealed, None)
        except Exception as exc:  # cryptography's InvalidTag: tampered or a wrong key
            raise KeyringError(f"value under key {kid} does not decrypt") from exc

    def hash(self, value: str) -> str:
        """The keyed hash of a value looked up by equality (hex HMAC-SHA256)."""
        return hmac.new(self.hash_key, value.encode(), hashlib.sha256).hexdigest()


def token_key_id(token: str | bytes | None) -> str | None:
    """The key id an encrypted value names; None for NULL or a legacy plain value."""
    if token is None:
        return None
    if isinstance(token, bytes):
        return token[3:11].decode("ascii", "replace") if token.startswith(_PREFIX_BYTES) else None
    return token[3:11] if token.startswith(_PREFIX) else None


_installed: list[Keyring] = []


def install_keyring(keyring: Keyring) -> None:
    """Make `keyring` the process's keyring (the composition root calls this once)."""
    _installed[:] = [keyring]


def installed_keyring() -> Keyring | None:
    return _installed[0] if _installed else None


def keyring() -> Keyring:
    if not _installed:
        raise KeyringError(
            "no keyring installed: the composition root must call core.crypto.install_keyring"
        )
    return _installed[0]


def keyed_hash(value: str) -> str:
    """The keyed hash of a value under the installed keyring (what lookup columns hold)."""
    return keyring().hash(value)
