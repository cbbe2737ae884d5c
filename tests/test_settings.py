"""Settings: environment and .env, secrets hidden, one clear line for what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from core.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in (
        "DATABASE_URL",
        "BOT_TOKEN",
        "IMAP_PORT",
        "TIMEZONE",
        "DIGEST_AT",
        "SMTP_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_it_defaults_to_a_local_sqlite_store_and_almaty_time():
    settings = load_settings()
    assert settings.DATABASE_URL == DEFAULT_DATABASE_URL
    assert settings.TIMEZONE == "Asia/Almaty"
    assert dt.time(9, 0) == settings.DIGEST_AT
    assert settings.BOT_TOKEN is None


def test_it_reads_a_dotenv_file(tmp_path):
    (tmp_path / ".env").write_text("BOT_TOKEN=123:abc\nDIGEST_AT=07:30\n", encoding="utf-8")
    settings = load_settings()
    assert settings.BOT_TOKEN is not None
    assert settings.BOT_TOKEN.get_secret_value() == "123:abc"
    assert dt.time(7, 30) == settings.DIGEST_AT


def test_it_never_prints_secrets(monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    settings = load_settings()
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IMAP_PORT", "imap"),
        ("TIMEZONE", "Mars/Olympus"),
        ("DATABASE_URL", "mysql://x"),
        ("DIGEST_AT", "25:99"),
    ],
)
def test_it_names_the_bad_variable_in_one_line(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert name in message and "\n" not in message


def test_it_keeps_the_receipt_key_in_a_private_file_and_reuses_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHMENTS_DIR", str(tmp_path / "files"))
    monkeypatch.delenv("RECEIPT_KEY", raising=False)
    first = load_settings().receipt_key()
    key_file = tmp_path / "files" / ".receipt-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_settings().receipt_key() == first and len(first) == 32


def test_it_prefers_the_receipt_key_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTACHMENTS_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("RECEIPT_KEY", "a long random secret")
    assert load_settings().receipt_key() == b"a long random secret"
    assert not (tmp_path / "files" / ".receipt-key").exists()
