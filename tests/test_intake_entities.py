"""Entities: IINs with the official check digit, phones in E.164, emails, organisations."""

from __future__ import annotations

import pytest

from intake.entities import extract_entities, iin_is_valid, normalise_phone, organisation_key

W1 = tuple(range(1, 12))
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def _remainders(prefix: str) -> tuple[int, int]:
    digits = [int(c) for c in prefix]
    return (
        sum(d * w for d, w in zip(digits, W1, strict=True)) % 11,
        sum(d * w for d, w in zip(digits, W2, strict=True)) % 11,
    )


def test_it_accepts_the_reference_iin() -> None:
    assert iin_is_valid("061211600012")


def test_it_rejects_thirteen_digits() -> None:
    assert not iin_is_valid("0612116000121")
    assert extract_entities("ИИН 0612116000121").iins == []


def test_it_rejects_a_wrong_check_digit() -> None:
    assert not iin_is_valid("061211600013")


@pytest.mark.parametrize("check", range(10))
def test_it_rejects_an_iin_whose_remainder_is_ten_on_both_passes(check: int) -> None:
    prefix = "85010100070"  # constructed: weights 1..11 and 3..11,1,2 both leave 10
    assert _remainders(prefix) == (10, 10)
    assert not iin_is_valid(f"{prefix}{check}")


def test_it_uses_the_second_pass_when_the_first_gives_ten() -> None:
    prefix = "90051500180"
    assert _remainders(prefix) == (10, 2)
    assert iin_is_valid(prefix + "2")
    assert not iin_is_valid(prefix + "0")


def test_it_never_rejects_an_iin_for_its_birth_date() -> None:
    assert iin_is_valid("851301000006")  # month 13: no such birth date, still a valid IIN


def test_it_does_not_read_an_iin_as_a_phone() -> None:
    found = extract_entities("мой ИИН 061211600012, прошу проверить")
    assert found.iins == ["061211600012"]
    assert found.phones == []


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("8 701 123 45 67", "+77011234567"),
        ("+7(701)1234567", "+77011234567"),
        ("87011234567", "+77011234567"),
        ("+7 727 2 50 50 50", "+77272505050"),
        ("8 (777) 000-11-22", "+77770001122"),
    ],
)
def test_it_normalises_kazakh_phone_formats_to_e164(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164
    assert extract_entities(f"звоните по номеру {raw}, это секретарь").phones == [e164]


def test_it_ignores_digit_runs_that_are_not_phones() -> None:
    assert extract_entities("приняли 150 человек в 2024 году, из 300 членов").phones == []


def test_it_lists_each_phone_once() -> None:
    text = "тел. 8 701 123 45 67 и ещё раз +7 (701) 123-45-67"
    assert extract_entities(text).phones == ["+77011234567"]


def test_it_finds_emails_in_lower_case() -> None:
    found = extract_entities("пишите на Party.KZO@gmail.com или aksu.ppo@mail.kz.")
    assert found.emails == ["party.kzo@gmail.com", "aksu.ppo@mail.kz"]


def test_it_finds_russian_organisations_with_the_form_first() -> None:
    text = 'В ППО «Жасыл Ел» при ТОО «Астана  Құрылыс» и АО "КазМунай"'
    assert extract_entities(text).organisations == [
        "ППО «Жасыл Ел»",
        "ТОО «Астана Құрылыс»",
        "АО «КазМунай»",
    ]


def test_it_finds_kazakh_organisations_with_the_form_before_or_after() -> None:
    text = "«Агро Береке» ЖШС қызметкерлері, АҚ «Мұнай Газ» және «Самал» БПҰ"
    assert extract_entities(text).organisations == [
        "ЖШС «Агро Береке»",
        "АҚ «Мұнай Газ»",
        "БПҰ «Самал»",
    ]


def test_it_links_the_same_organisation_named_in_russian_and_kazakh() -> None:
    assert organisation_key("ТОО «Агро Береке»") == organisation_key("ЖШС «Агро Береке»")
    assert organisation_key("АО «Мұнай Газ»") == organisation_key("АҚ «Мұнай Газ»")


def test_it_ignores_quotes_without_a_legal_form() -> None:
    assert extract_entities("кандидат сказал «голосуйте за меня»").organisations == []
