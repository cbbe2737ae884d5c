"""polars' CSV reader (audit/fastcsv.py) against the csv module on the same files: the same
findings, row numbers, evidence and skipped-row summary, on the inputs that move row numbers
(blank lines, CRLF, short and long rows, whitespace-only rows) and bytes the encoding cannot
read; and files it must leave to the csv module (quotes, lone carriage returns, NUL)."""

from __future__ import annotations

import pytest

from audit import fastcsv, readers
from audit.members import MemberOptions
from audit.run import audit_members, audit_votes, load_members
from audit.scan import Layout
from audit.votes import VoteOptions
from bench.registry import SUSPENDED, generate_members, generate_votes
from tests.audit_fixtures import MEMBER_HEADERS, member

SHARED = "+7 701 555 44 33"


def lines(encoding: str = "utf-8", newline: str = "\r\n", delimiter: str = ",") -> bytes:
    """A registry whose rows are all the awkward shapes a line can take."""
    rows = [delimiter.join(MEMBER_HEADERS)]
    for i in range(12):
        rows.append(delimiter.join(member(i, phone=SHARED)))
        if i == 2:
            rows += ["", " \t ", delimiter * 7, delimiter * 9 + "x", "\x1c" + delimiter * 3]
        if i == 5:
            rows.append(delimiter.join(member(i + 100)[:3]))  # short: the rest read as empty
            rows.append(delimiter.join([*member(i + 200, phone=SHARED), "extra", "cells"]))
        if i == 7:
            rows.append(delimiter.join(member(i + 300, admitted="вчера")))
    return (newline.join(rows) + newline + newline).encode(encoding, errors="replace")


def both(path, monkeypatch, run):  # type: ignore[no-untyped-def]
    """What `run` gives with polars reading and with the csv module reading."""
    out = []
    for polars in (True, False):
        monkeypatch.setattr(readers, "USE_POLARS", polars)
        result = run(path)
        out.append(([(f.rule, f.identity, f.refs, f.region, f.organisations, f.notes)
                     for f in result.findings],
                    result.run.problems.lines(result.run.labels), result.records))
    return out


def members(path):  # type: ignore[no-untyped-def]
    return audit_members([path], MemberOptions(suspended=[SUSPENDED]), progress=False)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "kz1048"])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_it_reads_awkward_rows_as_the_csv_module_does(tmp_path, monkeypatch, encoding, newline):
    path = tmp_path / "m.csv"
    path.write_bytes(lines(encoding, newline, ";"))
    assert fastcsv.plain(path)
    fast, slow = both(path, monkeypatch, members)
    assert fast == slow
    assert "5 × empty row, skipped (rows 5, 6, 7, 9, 22)" in fast[1]  # 9: \x1c is space
    assert "1 × no IIN, skipped (rows 8)" in fast[1]  # its one cell is past the header's


def test_it_reports_undecodable_bytes_on_the_same_rows(tmp_path, monkeypatch):
    path = tmp_path / "m.csv"
    body = lines(newline="\n").split(b"\n")
    body[2] = body[2].replace("Иван".encode(), b"\xff\xfe", 1)  # row 3
    body[9] = body[9].replace("ППО".encode(), "П".encode() + b"\xd0", 1)  # row 10: cut short
    path.write_bytes(b"\n".join(body))
    fast, slow = both(path, monkeypatch, members)
    assert fast == slow
    assert "2 × bytes not valid in the file's encoding (shown as �) (rows 3, 10)" in fast[1]


def test_it_numbers_rows_across_blocks(tmp_path, monkeypatch):
    generate_members(tmp_path / "m.csv", 3000)
    with (tmp_path / "m.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n\n12345,Ким,+1 999,,Нигде,,ППО 9,31.02.2024\n,,,,,,,")
    monkeypatch.setattr(fastcsv, "BLOCK", 4096)  # lines cut across many reads
    fast, slow = both(tmp_path / "m.csv", monkeypatch, members)
    assert fast == slow


def test_votes_and_the_members_registry_read_the_same_either_way(tmp_path, monkeypatch):
    _, rows = generate_members(tmp_path / "m.csv", 2000)
    generate_votes(tmp_path / "v.csv", rows, 2)

    def votes(path):  # type: ignore[no-untyped-def]
        registry, _ = load_members(tmp_path / "m.csv", progress=False)
        return audit_votes([path], VoteOptions(members=registry, suspended=[SUSPENDED]),
                           progress=False)

    fast, slow = both(tmp_path / "v.csv", monkeypatch, votes)
    assert fast == slow
    assert {rule for rule, *_ in fast[0]} >= {"repeat_iin", "shared_ip", "shared_phone"}


@pytest.mark.parametrize("odd", [b'"', b"\r", b"\0"])
def test_it_leaves_quotes_lone_returns_and_nuls_to_the_csv_module(tmp_path, monkeypatch, odd):
    path = tmp_path / "m.csv"
    body = lines(newline="\n").split(b"\n")
    body[3] = body[3].replace("Иванов".encode(), "Ива".encode() + odd + "нов".encode(), 1)
    path.write_bytes(b"\n".join(body))
    assert not fastcsv.plain(path)
    source = readers.open_csv(path, Layout({"iin": ("ИИН",)}, [("iin",)]).accepts)
    source.rows.close()
    assert source.blocks is None


def test_a_quoted_line_break_keeps_the_spreadsheet_row_number(tmp_path):
    path = tmp_path / "m.csv"
    rows = [",".join(MEMBER_HEADERS)] + [",".join(member(i, phone=SHARED)) for i in range(5)]
    rows[2] = rows[2].replace("Иванов1 Иван Иванович", '"Иванов1\nИван Иванович"')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = members(path)
    [finding] = [f for f in result.findings if f.rule == "shared_phone"]
    assert finding.refs == [2, 3, 4, 5, 6]
    assert result.records[3]["full_name"] == "Иванов1\nИван Иванович"
