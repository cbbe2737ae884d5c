"""The `shagym` command line, run as a user runs it: a subprocess with its own environment."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from intake.cases import open_case
from intake.raw import RawAttachment, RawReport
from models.db import create_engine, create_session_factory
from tests.conftest import EXAMPLE_COMMISSIONS, ROOT, TEST_KEYRING

EXPORT_KEYS = {
    "case",
    "status",
    "region",
    "district",
    "category",
    "language",
    "channel",
    "text",
    "created_at",
    "due_at",
    "attachments",
}


def shagym(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shagym", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=env["HOME"],
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "IMAP_", "SMTP_"))}
    clean.update(
        HOME=str(tmp_path),
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 's.db'}",
        ATTACHMENTS_DIR=str(tmp_path / "files"),
        COMMISSIONS_FILE=str(EXAMPLE_COMMISSIONS),
        # The keys of the tests' keyring, so the cases add_cases writes read back here.
        DATA_KEY=TEST_KEYRING.data_keys[0].hex(),
        HASH_KEY=TEST_KEYRING.hash_key.hex(),
    )
    return clean


@pytest.fixture
def loaded(env: dict[str, str]) -> dict[str, str]:
    assert shagym("commissions", "load", str(EXAMPLE_COMMISSIONS), env=env).returncode == 0
    return env


def add_cases(env: dict[str, str], *reports: RawReport) -> None:
    async def _go() -> None:
        from zoneinfo import ZoneInfo

        from intake.cases import IntakeContext

        engine = create_engine(env["DATABASE_URL"])
        ctx = IntakeContext(Path(env["ATTACHMENTS_DIR"]), ZoneInfo("Asia/Almaty"))
        async with create_session_factory(engine)() as session:
            for raw in reports:
                await open_case(session, raw, ctx)
            await session.commit()
        await engine.dispose()

    asyncio.run(_go())


def assert_clean_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert line.startswith("error:") and "\n" not in line, line
    for word in words:
        assert word in line


def test_it_upgrades_the_database_and_says_to_which_revision(env):
    result = shagym("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout


def test_it_loads_and_lists_all_twenty_one_commissions(loaded):
    result = shagym("commissions", "list", "--format", "json", env=loaded)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 21
    assert {r["code"] for r in rows} >= {"CENTRAL", "AST", "ALA", "SHY", "AKM", "ULY"}


def test_it_rejects_a_commissions_file_with_an_unknown_region(env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[central]\nname="C"\n[[commissions]]\nregion="XXX"\nname="N"\n', encoding="utf-8"
    )
    assert_clean_error(shagym("commissions", "load", str(bad), env=env), "XXX")


def test_it_reports_a_missing_file_in_one_line(env):
    assert_clean_error(
        shagym("commissions", "load", "/nonexistent.toml", env=env), "/nonexistent.toml"
    )


def test_it_reports_an_invalid_setting_in_one_line(env):
    env["DATABASE_URL"] = "mysql://nope"
    assert_clean_error(shagym("reports", "list", env=env), "DATABASE_URL")


def test_it_exports_json_lines_with_the_contract_fields_and_no_reporter(loaded):
    add_cases(
        loaded,
        RawReport(
            channel="email",
            sender="secret.person@mail.kz",
            text="В Таразе раздавали по 5000 тенге за голос",
            attachments=[RawAttachment(b"jpeg", "image/jpeg", "photo.jpg")],
        ),
    )
    result = shagym("reports", "export", "--format", "json", env=loaded)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.splitlines()[0])
    assert set(record) >= EXPORT_KEYS
    assert (record["region"], record["category"], record["channel"]) == (
        "ZHM",
        "vote_buying",
        "email",
    )
    assert record["attachments"][0]["name"] == "photo.jpg"
    assert record["attachments"][0]["encrypted"] is True
    assert "secret.person" not in result.stdout


def test_it_exports_csv_and_xlsx_with_formulas_made_inert(loaded, tmp_path):
    add_cases(
        loaded, RawReport(channel="telegram", sender="1", text='=HYPERLINK("http://x") Астана')
    )
    csv_out = shagym("reports", "export", "--format", "csv", env=loaded)
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert rows[0]["region"] == "AST"
    target = tmp_path / "cases.xlsx"
    result = shagym("reports", "export", "--format", "xlsx", "--out", str(target), env=loaded)
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(target).active
    header = [c.value for c in sheet[1]]
    text = sheet.cell(row=2, column=header.index("text") + 1).value
    assert text.startswith("'=")


def test_it_shows_a_case_with_its_thread(loaded):
    add_cases(
        loaded,
        RawReport(channel="email", sender="a@b.kz", text="Собрание без кворума в Павлодаре"),
    )
    listing = shagym("reports", "export", env=loaded)
    number = json.loads(listing.stdout.splitlines()[0])["case"]
    result = shagym("reports", "show", number, env=loaded)
    assert result.returncode == 0 and "без кворума" in result.stdout and number in result.stdout


def test_it_says_when_a_case_does_not_exist(loaded):
    assert_clean_error(shagym("reports", "show", "SH-1999-00001", env=loaded), "SH-1999-00001")


def test_it_lists_the_outbox_as_json_lines(loaded):
    add_cases(
        loaded, RawReport(channel="email", sender="a@b.kz", text="Давление на работников в Актобе")
    )
    result = shagym("outbox", "list", "--format", "json", env=loaded)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["kind"] for r in rows} == {"ack", "alert"}
    for row in rows:
        assert {"kind", "channel", "recipient", "case", "status", "attempts"} <= set(row)
        assert row["status"] == "pending" and row["attempts"] == 0


def test_it_runs_without_a_bot_token_by_skipping_the_bot(env):
    result = shagym("run", "--only", "bot", env=env)
    assert result.returncode == 0, result.stderr
    assert "BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_it_rejects_an_unknown_loop_name(env):
    assert_clean_error(shagym("run", "--only", "fax", env=env), "fax")


def _audit_rows(env: dict[str, str]) -> list[tuple[str, str, int | None]]:
    import sqlite3

    path = env["DATABASE_URL"].split("///", 1)[1]
    with sqlite3.connect(path) as db:
        return list(
            db.execute("SELECT actor, action, case_id FROM audit_log WHERE action LIKE 'read.%'")
        )


def test_it_exports_decrypted_attachment_copies_on_request(loaded, tmp_path):
    add_cases(
        loaded,
        RawReport(
            channel="email", sender="a@mail.kz", text="В Таразе раздавали деньги",
            attachments=[RawAttachment(b"jpeg", "image/jpeg", "photo.jpg")],
        ),
    )  # fmt: skip
    out = tmp_path / "files"
    result = shagym("reports", "export", "--files", str(out), env=loaded)
    assert result.returncode == 0, result.stderr
    [attachment] = json.loads(result.stdout.splitlines()[0])["attachments"]
    assert Path(attachment["path"]).read_bytes() == b"jpeg"
    assert attachment["encrypted"] is False


def test_it_records_who_showed_and_exported_a_case(loaded):
    add_cases(loaded, RawReport(channel="telegram", sender="7", text="В Астане давят на людей"))
    number = json.loads(shagym("reports", "export", env=loaded).stdout.splitlines()[0])["case"]
    assert shagym("reports", "show", number, env=loaded).returncode == 0
    rows = _audit_rows(loaded)
    assert [action for _, action, _ in rows] == ["read.export", "read.case"]
    assert all(actor.startswith("cli:") and case_id for actor, _, case_id in rows)
def test_it_takes_the_issue_names_of_the_roles():
    from shagym.cli_run import wanted_loops

    assert wanted_loops("notify, digest,bot") == {"outbox", "digests", "bot"}
    assert wanted_loops(None) == {"bot", "mail", "outbox", "digests", "retention", "web"}



def test_it_plans_only_the_role_asked_for(tmp_path):
    from core.settings import Settings
    from shagym.cli_run import wanted_loops
    from shagym.runner import planned_loops

    settings = Settings(_env_file=None, BOT_TOKEN="1:x", ATTACHMENTS_DIR=tmp_path)  # type: ignore[call-arg]
    assert [name for name, _ in planned_loops(settings, wanted_loops("notify"))] == ["outbox"]
