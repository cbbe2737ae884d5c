"""`shagym audit members|votes` as a user runs it: the JSON lines contract, the report, the
store written once per run, and bad input as one clear line."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.audit_fixtures import MEMBER_HEADERS, member, write_csv, write_xlsx
from tests.test_cli import env, shagym  # noqa: F401 - `env` is the fixture audit_env wraps

FIELDS = ["rule", "region", "district", "organisations", "key", "count", "rows", "case"]
PHONE = "+77015554433"


def registry(tmp_path, name="members.csv"):
    rows = [member(i, phone=PHONE) for i in range(6)]
    rows.append(member(50, admitted="2024-02-01", region="Ақмола облысы"))
    return write_csv(tmp_path / name, MEMBER_HEADERS, rows, encoding="kz1048", delimiter=";")


@pytest.fixture
def audit_env(env: dict[str, str]) -> dict[str, str]:  # noqa: F811 - test_cli's fixture
    return env


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_it_prints_one_finding_a_line_with_exactly_the_contract_fields(audit_env, tmp_path):
    done = shagym("audit", "members", str(registry(tmp_path)), "--suspended",
                  "2024-01-01:2024-03-31", "--format", "jsonl", "--dry-run", env=audit_env)
    assert done.returncode == 0, done.stderr
    found = lines(done.stdout)
    assert all(list(f) == FIELDS for f in found)
    assert [(f["rule"], f["key"], f["rows"], f["case"]) for f in found] == [
        ("shared_phone", PHONE, [2, 3, 4, 5, 6, 7], None),
        ("suspended_admission", "2024-01-01:2024-03-31", [8], None),
    ]
    assert "dry run: no cases written" in done.stderr


def test_it_opens_cases_once_and_names_them_in_the_output(audit_env, tmp_path):
    args = ["audit", "members", str(registry(tmp_path)), "--format", "jsonl"]
    shagym("commissions", "load", audit_env["COMMISSIONS_FILE"], env=audit_env)
    first, second = shagym(*args, env=audit_env), shagym(*args, env=audit_env)
    assert first.returncode == 0, first.stderr
    assert lines(first.stdout)[0]["case"].startswith("SH-")
    assert lines(first.stdout) == lines(second.stdout)
    assert "cases opened 0, updated 0, unchanged 1" in second.stderr
    with sqlite3.connect(audit_env["DATABASE_URL"].split("///")[1]) as db:
        assert db.execute("select count(*) from 'case' where channel='audit'").fetchone() == (1,)


def test_it_writes_nothing_on_a_dry_run(audit_env, tmp_path):
    shagym("commissions", "load", audit_env["COMMISSIONS_FILE"], env=audit_env)
    shagym("audit", "members", str(registry(tmp_path)), "--dry-run", env=audit_env)
    with sqlite3.connect(audit_env["DATABASE_URL"].split("///")[1]) as db:
        assert db.execute("select count(*) from 'case'").fetchone() == (0,)


def test_it_writes_a_self_contained_html_report_with_charts_and_escaped_values(audit_env, tmp_path):
    rows = [member(i, phone=PHONE, org="<script>alert(1)</script>") for i in range(6)]
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADERS, rows)
    out = tmp_path / "report.html"
    done = shagym("audit", "members", str(path), "--format", "html", "--out", str(out),
                  "--dry-run", "--suspended", "2024-01-01:2024-03-31", env=audit_env)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "&lt;script&gt;" in html and "<script>" not in html


def test_it_says_in_one_line_which_columns_it_found_and_expected(audit_env, tmp_path):
    path = write_csv(tmp_path / "m.csv", ["Номер", "Человек"], [["1", "Иванов"]])
    done = shagym("audit", "members", str(path), env=audit_env)
    assert done.returncode == 2
    assert done.stderr.startswith("error: m.csv, header row 1: cannot find the columns")
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_it_names_the_sheets_when_a_workbook_is_ambiguous(audit_env, tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", {"A": [MEMBER_HEADERS], "B": [MEMBER_HEADERS]})
    done = shagym("audit", "members", str(path), env=audit_env)
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert "2 sheets (A, B)" in done.stderr


def test_it_refuses_a_window_it_cannot_read(audit_env, tmp_path):
    done = shagym("audit", "members", str(registry(tmp_path)), "--suspended", "January", env=audit_env)
    assert done.returncode == 2 and "expected FROM:TO" in done.stderr


def test_it_audits_votes_against_the_registry(audit_env, tmp_path):
    members = registry(tmp_path)
    member_iin = member(0)[0]
    stranger = member(99)[0]
    votes = write_csv(tmp_path / "votes.csv", ["ЖСН", "IP", "voted_at", "Облыс"], [
        [member_iin, "1.2.3.4", "2024-06-01 10:00", "AKM"],
        [stranger, "1.2.3.5", "2024-06-01 10:01", "AKM"],
        [stranger, "1.2.3.6", "2024-06-01 10:02", "AKM"],
    ])
    done = shagym("audit", "votes", str(votes), "--members", str(members), "--format", "jsonl",
                  "--dry-run", env=audit_env)
    assert done.returncode == 0, done.stderr
    assert [(f["rule"], f["rows"]) for f in lines(done.stdout)] == [
        ("non_member", [3, 4]), ("repeat_iin", [3, 4])]
