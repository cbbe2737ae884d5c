"""Language: ru, kk (Cyrillic or Latin script) or en."""

from __future__ import annotations

import pytest

from intake.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("В нашей организации всех записали в партию без согласия.", "ru"),
        ("Мені менің келісімімсіз партияға мүше етіп жазып қойыпты.", "kk"),
        ("Біз бар жоқ деп айттық, олар тексеру туралы сұрады", "kk"),  # few Kazakh letters
        ("Qaraǵandy oblysynda partııaǵa 40 adam qabyldandy, biraq derekteri rastalmaıdy.", "kk"),
        ("Oskemende saylaushylarga azyq-tulik taratyp, dauys surap jur.", "kk"),  # plain ASCII
        ("Someone voted on my behalf in the Astana primaries.", "en"),
    ],
)
def test_it_detects_the_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_it_keeps_russian_that_names_kazakh_places() -> None:
    assert detect_language("В Қарағанды и Өскемен приняли людей в партию без заявлений.") == "ru"


def test_it_keeps_russian_that_quotes_a_kazakh_organisation_name() -> None:
    text = "Чимкент, ППО «Оңтүстік Жарық»: 130 членов партии на один телефон."
    assert detect_language(text) == "ru"


def test_it_answers_the_majority_language_of_a_mixed_text() -> None:
    text = "Сәлеметсіз бе, біздің ауылда дауыс үшін ақша таратты. Прошу проверить."
    assert detect_language(text) == "kk"


@pytest.mark.parametrize("text", ["", "12345 678", "!!! ??? 🙏🙏", "\x00\x01"])
def test_it_answers_the_default_when_there_are_no_words(text: str) -> None:
    assert detect_language(text, default="kk") == "kk"
