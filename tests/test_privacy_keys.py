"""Keys of encryption at rest: where they come from, and rotating them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlmodel import select
from test_privacy_dump import SHARED_PHONE, TG_ID, _tell_the_story

from core.crypto import Keyring, KeyringError, install_keyring
from core.settings import Settings, SettingsError
from intake.attachments import read_attachment
from intake.cases import IntakeContext
from models import rekey
from models.db import SessionFactory
from models.tables import Attachment, Reporter

NEW_KEY = bytes(range(100, 132))


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, ATTACHMENTS_DIR=tmp_path / "files", **values)  # type: ignore[call-arg]


def test_it_generates_local_keys_once_and_says_so(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="core.settings")
    first = _settings(tmp_path).keyring()
    said = [r.getMessage() for r in caplog.records]
    again = _settings(tmp_path).keyring()
    assert first.primary_id == again.primary_id and first.hash_key == again.hash_key
    assert len([m for m in said if "generated a data key" in m]) == 1
    assert len(caplog.records) == len(said)  # the second run says nothing


def test_it_refuses_a_deployment_without_a_data_key_naming_it(tmp_path):
    deployed = _settings(tmp_path, DATABASE_URL="postgresql+asyncpg://shagym@db.example.kz/s")
    with pytest.raises(SettingsError, match="DATA_KEY is missing"):
        deployed.keyring()


def test_it_refuses_a_real_bot_without_a_hash_key_naming_it(tmp_path):
    deployed = _settings(tmp_path, BOT_TOKEN="1:x", DATA_KEY=NEW_KEY.hex())
    with pytest.raises(SettingsError, match="HASH_KEY is missing"):
        deployed.keyring()


async def _everything_under(sessions: SessionFactory, ring: Keyring, root: Path) -> None:
    async with sessions() as session:
        per_column = await rekey.count_keys(session)
    used = {kid for counter in per_column.values() for kid in counter}
    assert used == {ring.primary_id}
    assert {rekey.file_key(p) for p in rekey.attachment_files(root)} == {ring.primary_id}


async def _readable_with_only(sessions: SessionFactory, ring: Keyring, root: Path) -> None:
    install_keyring(Keyring((ring.data_keys[0],), ring.hash_key))
    async with sessions() as session:
        phones = [r.contact_phone for r in (await session.exec(select(Reporter))).all()]
        files = (await session.exec(select(Attachment))).all()
    assert SHARED_PHONE in phones and str(TG_ID) not in phones
    assert all(read_attachment(root, a.path) for a in files)


async def test_it_rotates_every_value_and_file_to_the_new_key(
    sessions: SessionFactory, intake_ctx: IntakeContext, keyring: Keyring
) -> None:
    await _tell_the_story(sessions, intake_ctx)
    ring = Keyring((NEW_KEY, *keyring.data_keys), keyring.hash_key)
    install_keyring(ring)
    changed = await rekey.rotate_rows(sessions, ring, lambda column, n: None)
    files = rekey.rotate_files(intake_ctx.attachments_dir, ring)
    assert changed > 10 and files == 2
    await _everything_under(sessions, ring, intake_ctx.attachments_dir)
    await _readable_with_only(sessions, ring, intake_ctx.attachments_dir)


async def test_it_resumes_a_rotation_killed_midway(
    sessions: SessionFactory, intake_ctx: IntakeContext, keyring: Keyring, monkeypatch
) -> None:
    await _tell_the_story(sessions, intake_ctx)
    ring = Keyring((NEW_KEY, *keyring.data_keys), keyring.hash_key)
    install_keyring(ring)
    monkeypatch.setattr(rekey, "BATCH", 1)

    def killed(column: str, n: int) -> None:
        raise KeyboardInterrupt  # after the first committed batch

    with pytest.raises(KeyboardInterrupt):
        await rekey.rotate_rows(sessions, ring, killed)
    # The old key is still needed: some values are under it.
    async with sessions() as session:
        per_column = await rekey.count_keys(session)
    assert keyring.primary_id in {kid for c in per_column.values() for kid in c}
    await rekey.rotate_rows(sessions, ring, lambda column, n: None)
    rekey.rotate_files(intake_ctx.attachments_dir, ring)
    await _everything_under(sessions, ring, intake_ctx.attachments_dir)
    await _readable_with_only(sessions, ring, intake_ctx.attachments_dir)


async def test_it_refuses_to_read_a_value_under_a_key_it_does_not_hold(
    sessions: SessionFactory, intake_ctx: IntakeContext
) -> None:
    await _tell_the_story(sessions, intake_ctx)
    install_keyring(Keyring((NEW_KEY,), bytes(32)))
    async with sessions() as session:
        with pytest.raises(KeyringError, match="which DATA_KEY does not hold"):
            (await session.exec(select(Reporter))).all()


def test_it_rotates_from_the_command_line_until_the_old_key_is_unneeded(tmp_path):
    from test_cli import EXAMPLE_COMMISSIONS, ROOT, shagym

    env = {
        "HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        "ATTACHMENTS_DIR": str(tmp_path / "files"), "COMMISSIONS_FILE": str(EXAMPLE_COMMISSIONS),
    }  # fmt: skip
    assert shagym("commissions", "load", str(EXAMPLE_COMMISSIONS), env=env).returncode == 0
    old = (tmp_path / "files" / ".data-key").read_text().split()
    made = shagym("keys", "new", env=env)
    assert made.returncode == 0, made.stderr
    keys = (tmp_path / "files" / ".data-key").read_text().split()
    assert len(keys) == 2 and keys[1:] == old
    rotated = shagym("keys", "rotate", env=env)
    assert rotated.returncode == 0, rotated.stderr
    status = shagym("keys", "status", env=env).stdout.splitlines()
    assert status[0].split()[1] == "encrypts" and status[1].split()[1] == "readable"
    assert "0 values, 0 files" in status[1]
