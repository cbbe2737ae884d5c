"""`shagym ingest-eml` and `shagym mail quarantine`, run as a user runs them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from mail_fixtures import COMMISSIONS, CORPUS, ROOT, complaint

from tests.conftest import TEST_KEYRING

STATUSES = {"created", "appended", "duplicate", "ignored", "quarantined"}


def shagym(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shagym", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["HOME"],
        timeout=300,
    )


def lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "IMAP_", "SMTP_"))}
    clean.update(
        HOME=str(tmp_path),
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        ATTACHMENTS_DIR=str(tmp_path / "files"),
        COMMISSIONS_FILE=str(COMMISSIONS),
        DATA_KEY=TEST_KEYRING.data_keys[0].hex(),
        HASH_KEY=TEST_KEYRING.hash_key.hex(),
    )
    return clean


def test_it_prints_one_json_line_per_file(env: dict[str, str], tmp_path: Path) -> None:
    first = tmp_path / "one.eml"
    first.write_bytes(complaint("В Астане собрание провели без кворума."))
    copy = tmp_path / "copy.eml"
    copy.write_bytes(first.read_bytes())
    done = shagym("ingest-eml", str(first), str(copy), env=env)
    assert done.returncode == 0, done.stderr
    one, two = lines(done)
    assert set(one) == {"file", "status", "case", "reason"}
    assert (one["file"], one["status"]) == (str(first), "created")
    assert str(one["case"]).startswith("SH-")
    assert (two["status"], two["case"]) == ("duplicate", one["case"])


def test_it_ingests_the_whole_corpus_folder(env: dict[str, str]) -> None:
    done = shagym("ingest-eml", str(CORPUS), env=env)
    assert done.returncode == 0, done.stderr
    results = lines(done)
    assert len(results) >= 115
    assert {r["status"] for r in results} <= STATUSES
    assert "Traceback" not in done.stderr


def test_it_splits_an_mbox_export(env: dict[str, str], tmp_path: Path) -> None:
    export = tmp_path / "export.mbox"
    export.write_bytes(
        b"From a@mail.kz Mon Mar  2 10:00:00 2026\n"
        + complaint("В Астане давят.", message_id="<1@mail.kz>").replace(b"\r\n", b"\n")
        + b"\nFrom b@mail.kz Mon Mar  2 10:00:01 2026\n"
        + complaint("В Алматы давят.", message_id="<2@mail.kz>").replace(b"\r\n", b"\n")
    )
    done = shagym("ingest-eml", "--no-ack", str(export), env=env)
    assert [r["file"] for r in lines(done)] == [f"{export}:1", f"{export}:2"]
    assert {r["status"] for r in lines(done)} == {"created"}


def test_it_refuses_a_missing_file(env: dict[str, str], tmp_path: Path) -> None:
    done = shagym("ingest-eml", str(tmp_path / "nope.eml"), env=env)
    assert done.returncode == 2 and "no such file" in done.stderr


def test_it_lists_and_replays_the_quarantine(env: dict[str, str], tmp_path: Path) -> None:
    message = tmp_path / "m.eml"
    message.write_bytes(complaint("В Астане собрание провели без кворума."))
    assert shagym("ingest-eml", str(message), env=env).returncode == 0
    # Put the stored message into quarantine as a failed parse would have.
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("UPDATE inbound_email SET status='quarantined', reason='ValueError: test'")
    listed = shagym("mail", "quarantine", "list", "--json", env=env)
    [entry] = lines(listed)
    assert entry["reason"] == "ValueError: test"
    replayed = shagym("mail", "quarantine", "replay", str(entry["id"]), env=env)
    assert replayed.returncode == 0, replayed.stderr
    [result] = lines(replayed)
    assert result["status"] == "created"
    assert "empty" in shagym("mail", "quarantine", "list", env=env).stdout


def test_it_lists_and_promotes_ignored_mail(env: dict[str, str], tmp_path: Path) -> None:
    message = tmp_path / "auto.eml"
    message.write_bytes(
        complaint("В Караганде заставляли вступать в партию.", headers={"X-Autoreply": "yes"})
    )
    [ingested] = lines(shagym("ingest-eml", str(message), env=env))
    assert ingested["status"] == "ignored"
    [entry] = lines(shagym("mail", "ignored", "list", "--json", env=env))
    assert entry["reason"] == "automatic reply (X-Autoreply: yes)" and len(entry["sha256"]) == 64
    shown = subprocess.run(
        [sys.executable, "-m", "shagym", "mail", "ignored", "show", str(entry["id"])],
        capture_output=True, env=env, cwd=env["HOME"], timeout=300,
    )  # fmt: skip
    assert shown.returncode == 0 and shown.stdout == message.read_bytes()
    first = shagym("mail", "ignored", "promote", str(entry["id"]), env=env)
    second = shagym("mail", "ignored", "promote", str(entry["id"]), env=env)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    [promoted], [again] = lines(first), lines(second)
    assert promoted["status"] == "created" and str(promoted["case"]).startswith("SH-")
    assert (again["status"], again["case"]) == ("unchanged", promoted["case"])
    with sqlite3.connect(tmp_path / "s.db") as db:
        assert db.execute("SELECT count(*) FROM \"case\"").fetchone() == (1,)
        actions = {row[0] for row in db.execute("SELECT action FROM audit_log")}
    assert {"read.inbound", "mail.promoted"} <= actions
    assert "no ignored mail" in shagym("mail", "ignored", "list", env=env).stdout


def test_it_refuses_to_promote_an_unknown_id(env: dict[str, str]) -> None:
    done = shagym("mail", "ignored", "promote", "4242", env=env)
    assert done.returncode == 2 and "error: no stored message with id 4242" in done.stderr
    assert "Traceback" not in done.stderr
