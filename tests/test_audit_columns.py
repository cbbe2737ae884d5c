"""The vectorised path (audit/batches.py, member_rules.py, vote_rules.py) against the per-row
Python path that defines what a cell means: for every row either decides, they agree."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import normalise as norm
from audit.batches import Pending, iin_valid
from audit.findings import Problems
from audit.member_rules import FIELDS as MEMBER_FIELDS
from audit.member_rules import MemberRules
from audit.members import MemberOptions
from audit.vote_rules import FIELDS as VOTE_FIELDS
from audit.vote_rules import VoteRules
from audit.votes import VoteOptions, parse_networks

IIN_STEMS = st.from_regex(r"[0-9]{6}[0-9][0-9]{4}", fullmatch=True)


def with_check(stem: str) -> list[str]:
    return [stem + d for d in "0123456789"]


@given(st.lists(IIN_STEMS, min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_it_decides_iins_vectorised_as_iin_problem_does(stems):
    iins = [i for s in stems for i in with_check(s)]
    today = dt.datetime.now(dt.UTC).date()
    valid = iin_valid(pl.DataFrame({"iin": iins}), "iin", today).to_list()
    assert valid == [norm.iin_problem(i) is None for i in iins]


def frame_of(rows: list[dict[str, str]], fields: list[str]) -> pl.DataFrame:
    data = {"ref": list(range(2, len(rows) + 2))}
    data.update({f: [r.get(f, "") for r in rows] for f in fields})
    return pl.DataFrame(data, schema={"ref": pl.Int64, **dict.fromkeys(fields, pl.String)})


def both_paths(rules_of, rows, fields):  # type: ignore[no-untyped-def]
    """(table, problems) from the vectorised batch, and from the per-row path alone."""
    vector, single = Problems(), Problems()
    fast = rules_of(vector)
    pending = Pending(vector)
    fast.batch(frame_of(rows, fields), pending)
    pending.flush()
    slow = rules_of(single)
    for number, row in enumerate(rows, start=2):
        slow.add(number, {f: row.get(f, "").strip() for f in fields})
    return (fast.table().to_dicts(), vector.counts, vector.examples), (
        slow.table().to_dicts(), single.counts, single.examples)


PHONES = ["+77011234567", "87011234567", "8 (701) 123-45-67", "+7 701 123 45 67", "7011234567",
          "77011234567", "+7 700 000 00 00", "87771234567", "+77172123456", " 8701 1234567",
          "12345", "", "+49 30 1234567", "8(701)1234567.0", "+7 (999) 123-45-67"]
DATES = ["2024-01-15", "15.01.2024", "2024-02-30", "", "0000-01-01", "2024-1-5", "garbage"]


@given(st.lists(st.tuples(
    st.one_of(IIN_STEMS.map(lambda s: with_check(s)[7]), st.sampled_from(
        ["", "123", " 850101300123", "8501013001 23", "abc", "850101300123.0"])),
    st.sampled_from(PHONES), st.sampled_from(["", "A@B.KZ", "a b@c", "x@y", "ИВАН@почта.kz"]),
    st.sampled_from(DATES), st.sampled_from(["", "ППО 1", " ППО 1", "ППО 2"]),
    st.sampled_from(["", "Астана", "AKM", "Нигде", "  Алматы "]),
), min_size=1, max_size=40))
@settings(max_examples=100, deadline=None)
def test_its_member_rows_come_out_the_same_either_way(cells):
    rows = [dict(zip(["iin", "phone", "email", "admitted_on", "organisation", "region"], c,
                     strict=True)) for c in cells]
    options = MemberOptions(suspended=[(dt.date(2024, 1, 1), dt.date(2024, 1, 31))])
    vector, single = both_paths(lambda p: MemberRules(options, p), rows, MEMBER_FIELDS)
    assert vector == single


@given(st.lists(st.tuples(
    st.one_of(IIN_STEMS.map(lambda s: with_check(s)[3]), st.sampled_from(["", "12 34", "x"])),
    st.sampled_from(PHONES),
    st.sampled_from(["", "5.6.7.8", "10.0.0.1", "256.1.1.1", "01.2.3.4", "::1", " 5.6.7.9",
                     "5.6.255.1"]),
    st.sampled_from(["2024-06-01 10:00:00", "2024-06-01T10:05", "2024-06-01 10:07", "",
                     "01.06.2024 10:00", "2024-06-01 24:00:00", "2024-06-31 10:00:00",
                     "2024-06-01 10:00:00+05:00", "nonsense"]),
    st.sampled_from(["P1", "P2", " P1", ""]), st.sampled_from(["", "Астана", "KAR"]),
), min_size=1, max_size=40))
@settings(max_examples=100, deadline=None)
def test_its_vote_rows_come_out_the_same_either_way(cells):
    rows = [dict(zip(["iin", "phone", "ip", "voted_at", "poll", "region"], c, strict=True))
            for c in cells]
    options = VoteOptions(allowlist=parse_networks("5.6.0.0/16, 2001:db8::/32"))
    vector, single = both_paths(lambda p: VoteRules(options, p), rows, VOTE_FIELDS)
    assert vector == single


def test_its_findings_and_problems_do_not_depend_on_the_batch_size(tmp_path, monkeypatch):
    from audit import batches
    from audit.run import audit_members
    from bench.registry import SUSPENDED, generate_members

    generate_members(tmp_path / "m.csv", 3000)
    with (tmp_path / "m.csv").open("a", encoding="utf-8") as handle:
        handle.write("12345,Ким,+1 999,,Нигде,,ППО 9,31.02.2024\n\n,,,,,,,\n")

    def run():  # type: ignore[no-untyped-def]
        result = audit_members([tmp_path / "m.csv"], MemberOptions(suspended=[SUSPENDED]),
                               progress=False)
        return ([(f.rule, f.identity, f.refs, f.notes) for f in result.findings],
                result.run.problems.lines(result.run.labels))

    whole = run()
    monkeypatch.setattr(batches, "BATCH", 7)
    assert run() == whole
    assert any("empty row" in line for line in whole[1])
