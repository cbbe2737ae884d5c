"""Each audit rule, firing on the pattern it is named after and silent on its look-alikes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.members import MemberOptions, iin_key
from audit.normalise import iin_problem, mask_iin, phone
from audit.run import audit_members, audit_votes
from audit.votes import VoteOptions, parse_networks
from tests.audit_fixtures import MEMBER_HEADERS, make_iin, member, phone_of, write_csv

SUSPENDED = (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
VOTE_HEADERS = ["ИИН", "Телефон", "IP", "voted_at", "Регион", "poll"]


def members(tmp_path, rows, **options):
    path = write_csv(tmp_path / "members.csv", MEMBER_HEADERS, rows)
    return audit_members([path], MemberOptions(**options), progress=False).findings


def rules(findings):
    return sorted(f.rule for f in findings)


def only(findings, rule):
    [finding] = [f for f in findings if f.rule == rule]
    return finding


def test_it_accepts_a_registry_of_ordinary_members(tmp_path):
    assert members(tmp_path, [member(i) for i in range(30)], suspended=[SUSPENDED]) == []


@pytest.mark.parametrize(("iin", "reason"), [
    ("85041230012", "11 characters, not 12"),
    ("85041230012a", "not only digits"),
    ("850412000123", "century digit is not 1-6"),
    ("851312300123", "no such birth date"),
    ("990101500123", "birth date in the future"),
])
def test_it_says_why_an_iin_is_invalid(iin, reason):
    assert iin_problem(iin, today=dt.date(2026, 1, 1)) == reason


def test_it_rejects_an_iin_whose_check_digit_is_wrong():
    good = make_iin(dt.date(1985, 4, 12), 123)
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    assert (iin_problem(good), iin_problem(bad)) == (None, "check digit does not match")


def test_it_groups_invalid_iins_by_region(tmp_path):
    rows = [member(i) for i in range(5)] + [member(9, iin="850412000123")]
    finding = only(members(tmp_path, rows), "invalid_iin")
    assert (finding.key, finding.refs, finding.notes) == (
        "AKM", [7], {7: "IIN: century digit is not 1-6"})


def test_it_finds_an_iin_listed_twice_and_masks_it(tmp_path):
    rows = [member(i) for i in range(5)] + [member(3)]
    finding = only(members(tmp_path, rows), "duplicate_iin")
    assert finding.refs == [5, 7]
    assert finding.key == mask_iin(rows[3][0]) and rows[3][0] not in finding.key


def test_it_masks_iins_keeping_birth_year_month_and_the_last_two_digits():
    assert mask_iin("850412300123") == "8504******23"


def test_it_finds_five_members_under_one_phone_in_any_writing(tmp_path):
    spellings = ["8 701 555 44 33", "+77015554433", "87015554433", "7015554433", "+7 (701) 555-44-33"]
    rows = [member(i, phone=p) for i, p in enumerate(spellings)]
    finding = only(members(tmp_path, rows), "shared_phone")
    assert (finding.key, finding.count) == ("+77015554433", 5)


def test_it_leaves_a_family_of_four_sharing_a_phone_alone(tmp_path):
    rows = [member(i, phone="+77015554433") for i in range(4)] + [member(9)]
    assert members(tmp_path, rows) == []


def test_it_counts_people_not_rows_under_a_shared_phone(tmp_path):
    rows = [member(i, phone="+77015554433") for i in range(4)] + [member(0, phone="+77015554433")]
    assert rules(members(tmp_path, rows)) == ["duplicate_iin"]


def test_it_takes_the_shared_minimum_from_the_options(tmp_path):
    rows = [member(i, phone="+77015554433") for i in range(4)]
    assert rules(members(tmp_path, rows, shared_min=3)) == ["shared_phone"]


def test_it_finds_five_members_under_one_email(tmp_path):
    rows = [member(i, email="Office@Bereke.kz") for i in range(5)]
    finding = only(members(tmp_path, rows), "shared_email")
    assert (finding.key, finding.count) == ("office@bereke.kz", 5)


def test_it_finds_admissions_inside_a_suspension_window_per_region(tmp_path):
    rows = [member(i, admitted="2024-02-10", region="г. Астана") for i in range(3)]
    rows += [member(10, admitted="2024-04-01", region="г. Астана"), member(11, admitted="31.03.2024")]
    found = members(tmp_path, rows, suspended=[SUSPENDED])
    assert sorted((f.key, f.region, f.refs) for f in found) == [
        ("2024-01-01:2024-03-31", "AKM", [6]),
        ("2024-01-01:2024-03-31", "AST", [2, 3, 4]),
    ]


def steady(org: str, start: int, days: int, per_day: int) -> list[list[str]]:
    base = dt.date(2024, 5, 1)
    return [
        member(start + d * per_day + k, org=org, admitted=str(base + dt.timedelta(days=d)))
        for d in range(0, days, 2) for k in range(per_day)
    ]


def test_it_finds_an_organisation_admitting_far_above_its_own_rhythm(tmp_path):
    rows = steady("ППО «Береке»", 0, 60, 2)
    burst = [member(5000 + k, org="ППО «Береке»", admitted="2024-06-15") for k in range(40)]
    finding = only(members(tmp_path, rows + burst), "admission_burst")
    assert finding.key == "ППО «Береке» 2024-06-15:2024-06-15"
    assert finding.count == 40  # the ordinary days around it are not part of the burst


def test_it_leaves_a_busy_organisation_at_its_own_steady_rhythm_alone(tmp_path):
    assert members(tmp_path, steady("ППО «Береке»", 0, 60, 30)) == []


def test_it_does_not_call_an_organisation_founded_in_one_day_a_burst(tmp_path):
    rows = [member(k, org="ППО «Жаңа»", admitted="2024-06-15") for k in range(60)]
    assert members(tmp_path, rows) == []


def reference(tmp_path, rows):
    path = write_csv(tmp_path / "reference.csv", ["ЖСН", "Аты-жөні", "Туған күні"], rows)
    from audit.run import load_reference

    return load_reference(path, progress=False)[0]


def test_it_finds_members_the_reference_registry_does_not_confirm(tmp_path):
    rows = [member(i) for i in range(4)]
    known = [[r[0], r[1], ""] for r in rows[:3]]
    known[1][1] = "Петров Пётр Петрович"  # another person under this IIN
    known[2][2] = "1901-01-01"  # another birth date
    known.append([rows[3][0], rows[3][1].upper().replace("Е", "Ё"), ""])  # same, written otherwise
    found = members(tmp_path, rows + [member(8)], reference=reference(tmp_path, known))
    finding = only(found, "unconfirmed")
    assert finding.notes == {
        3: "name differs from the reference registry",
        4: "birth date differs from the reference registry",
        6: "absent from the reference registry",
    }


def write_votes(tmp_path, rows):
    return write_csv(tmp_path / "votes.csv", VOTE_HEADERS, rows)


def vote(n, *, iin=None, phone=None, ip=None, at="2024-06-01 10:00", region="AKM", poll="P1"):
    born = dt.date(1970, 1, 1) + dt.timedelta(days=n)
    return [iin or make_iin(born, n), phone or phone_of(2_000_000 + n),
            ip or f"10.1.{n // 250}.{n % 250 + 1}", at, region, poll]


def votes(tmp_path, rows, **options):
    return audit_votes([write_votes(tmp_path, rows)], VoteOptions(**options),
                       progress=False).findings


def test_it_accepts_ordinary_votes(tmp_path):
    assert votes(tmp_path, [vote(i) for i in range(50)]) == []


def test_it_finds_an_iin_voting_twice_in_one_poll_but_not_in_two_polls(tmp_path):
    iin = make_iin(dt.date(1980, 1, 1), 1)
    rows = [vote(1, iin=iin), vote(2, iin=iin), vote(3, iin=iin, poll="P2")]
    finding = only(votes(tmp_path, rows), "repeat_iin")
    assert (finding.refs, finding.key) == ([2, 3], mask_iin(iin))


def test_it_finds_votes_from_one_phone_and_leaves_a_family_alone(tmp_path):
    rows = [vote(i, phone="+77015554433") for i in range(5)]
    rows += [vote(10 + i, phone="+77015554422") for i in range(4)]
    finding = only(votes(tmp_path, rows), "shared_phone")
    assert (finding.key, finding.category) == ("+77015554433", "voting_fraud")


def test_it_finds_many_votes_from_one_ip_within_the_window(tmp_path):
    rows = [vote(i, ip="5.6.7.8", at=f"2024-06-01 10:{i:02d}") for i in range(12)]
    finding = only(votes(tmp_path, rows, ip_min=10, window_minutes=30), "shared_ip")
    assert (finding.key, finding.count) == ("5.6.7.8", 12)


def test_it_leaves_votes_from_one_ip_spread_over_the_day_alone(tmp_path):
    rows = [vote(i, ip="5.6.7.8", at=f"2024-06-01 {8 + i}:00") for i in range(12)]
    assert votes(tmp_path, rows, ip_min=10, window_minutes=60) == []


def test_it_leaves_an_allowlisted_address_alone(tmp_path):
    rows = [vote(i, ip="5.6.7.8", at=f"2024-06-01 10:{i:02d}") for i in range(12)]
    allow = parse_networks("5.6.0.0/16, 192.0.2.1")
    assert votes(tmp_path, rows, ip_min=10, allowlist=allow) == []


def test_it_finds_voters_missing_from_the_registry_and_members_admitted_in_suspension(tmp_path):
    rows = [vote(i) for i in range(4)]
    registry = {iin_key(rows[0][0]): dt.date(2023, 5, 1), iin_key(rows[1][0]): dt.date(2024, 2, 1),
                iin_key(rows[2][0]): None}
    found = votes(tmp_path, rows, members=registry, suspended=[SUSPENDED])
    assert [(f.rule, f.refs) for f in found] == [
        ("non_member", [5]), ("voter_admitted_in_suspension", [3])]


@given(st.from_regex(r"7[0-9]{9}", fullmatch=True),
       st.sampled_from(["+7{}", "8{}", "7{}", "{}", "+7 ({}) {}-{}-{}", "8 {} {} {} {}"]))
@settings(max_examples=300, deadline=None)
def test_its_fast_phone_path_agrees_with_phonenumbers(national, style):
    from intake.entities import normalise_phone

    if style.count("{}") == 4:
        written = style.format(national[:3], national[3:6], national[6:8], national[8:])
    else:
        written = style.format(national)
    assert phone(written) == normalise_phone("+7" + national, "KZ")


def test_it_keeps_ipv6_and_ipv4_addresses_apart(tmp_path):
    rows = [vote(i, ip="::5.6.7.8" if i % 2 else "5.6.7.8", at=f"2024-06-01 10:{i:02d}")
            for i in range(12)]
    found = votes(tmp_path, rows, ip_min=6, window_minutes=60)
    assert sorted((f.key, f.count) for f in found) == [("5.6.7.8", 6), ("::506:708", 6)]
