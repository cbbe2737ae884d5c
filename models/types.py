"""Column types shared by the tables."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import DateTime, LargeBinary, Text, TypeDecorator

from core.crypto import keyring


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class EncryptedText(TypeDecorator[str]):
    """Text kept encrypted in the store (AES-GCM, see core.crypto), plain in memory."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else keyring().encrypt_text(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else keyring().decrypt_text(value)


class EncryptedBytes(TypeDecorator[bytes]):
    """Bytes kept encrypted in the store, plain in memory."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring().encrypt_bytes(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: Any) -> bytes | None:
        return None if value is None else keyring().decrypt_bytes(bytes(value))


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document kept encrypted in the store (a text column), a dict or list in memory.
    Nothing may query inside it in SQL: the store cannot read it."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return keyring().encrypt_text(json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        if value is None:
            return None
        return json.loads(keyring().decrypt_text(value))
