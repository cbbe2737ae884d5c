"""Routing to a commission, the commissions file, and the 15-working-day due date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from intake.gazetteer import load
from intake.routing import CENTRAL, CommissionsFileError, due_date, parse_commissions, route
from tests.conftest import EXAMPLE_COMMISSIONS

ALMATY = ZoneInfo("Asia/Almaty")
REGIONS = set(load().regions)


def local(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=ALMATY)


def test_it_ships_an_example_with_all_twenty_regions_and_the_central_committee():
    specs = parse_commissions(EXAMPLE_COMMISSIONS.read_text(encoding="utf-8"), REGIONS)
    assert len(REGIONS) == 20
    assert {s.code for s in specs} == REGIONS | {CENTRAL}
    assert all(s.language in ("ru", "kk") for s in specs)


def test_it_routes_a_region_to_its_commission_and_nothing_to_central_triage():
    codes = REGIONS | {CENTRAL}
    assert route("AKM", codes) == "AKM"
    assert route(None, codes) == CENTRAL
    assert route("KAR", {CENTRAL}) == CENTRAL  # a region without a commission yet


@pytest.mark.parametrize(
    ("toml", "complaint"),
    [
        ("[[commissions]]\nregion='AKM'\nname='A'\n", "[central]"),
        (
            "[central]\nname='C'\n[[commissions]]\nregion='AKM'\nname='A'\n[[commissions]]\nregion='AKM'\nname='B'\n",
            "twice",
        ),
        ("[central]\nname='C'\nemails=['not-an-address']\n", "emails"),
        ("[central]\nname='C'\nlanguage='de'\n", "language"),
        ("[central]\nname='C'\nmembers=['alice']\n", "members"),
        ("[central\n", "TOML"),
    ],
)
def test_it_explains_what_is_wrong_with_a_commissions_file(toml, complaint):
    with pytest.raises(CommissionsFileError, match=complaint):
        parse_commissions(toml, REGIONS)


def test_it_counts_fifteen_working_days_skipping_weekends():
    # Monday 2 Nov 2026 → three full weeks later, Monday 23 Nov (no holidays in between).
    due = due_date(local(2026, 11, 2), ALMATY)
    assert due.astimezone(ALMATY).date() == dt.date(2026, 11, 23)


def test_it_skips_kazakh_public_holidays():
    # Nauryz, 21–25 March 2026, adds three weekday holidays to the count.
    due = due_date(local(2026, 3, 16), ALMATY)
    assert due.astimezone(ALMATY).date() == dt.date(2026, 4, 9)


def test_it_counts_by_the_local_day_not_the_utc_one():
    # 20:30 UTC on Thursday is already Friday 01:30 in Almaty (UTC+5): counted from Friday.
    thursday_evening_utc = dt.datetime(2026, 11, 5, 20, 30, tzinfo=dt.UTC)
    due = due_date(thursday_evening_utc, ALMATY)
    assert due.astimezone(ALMATY).date() == dt.date(2026, 11, 27)


def test_it_makes_the_case_due_at_the_end_of_the_local_day():
    due = due_date(local(2026, 11, 2), ALMATY).astimezone(ALMATY)
    assert (due.hour, due.minute) == (23, 59)
