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


def test_it_reads_a_russian_text_with_a_link_as_russian() -> None:
    text = (
        "Жалоба: https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz/view?usp=sharing "
        "в Караганде принуждают голосовать"
    )
    assert detect_language(text) == "ru"


def test_it_reads_a_russian_report_carrying_an_html_fragment_as_russian() -> None:
    text = (
        '<div class="moz-text-html" style="font-family: Arial, sans-serif; color: #333">'
        '<p><span lang="en-US">Прошу проверить</span> ППО в Таразе</p>'
        '<a href="https://example.com/report?id=42&amp;from=mail">link</a><br/></div>'
    )
    assert detect_language(text) == "ru"


def test_it_ignores_email_addresses_and_numbers() -> None:
    text = "kandidat2024@mail.ru support@party.kz 8 747 305 12 00 — все члены на одну почту"
    assert detect_language(text) == "ru"


def test_it_reads_kazakh_typed_without_kazakh_letters() -> None:
    assert detect_language("Жарна канша? калай толеймин?") == "kk"
    assert detect_language("Праймериз кашан басталады, кандидат болу ушин не керек") == "kk"


def test_it_reads_latin_kazakh_with_a_personal_ending() -> None:
    text = "men taldyqorgannanmyn, bizdi partiyaga zorlap kirgizdi"
    assert detect_language(text) == "kk"


def test_it_takes_the_language_of_most_words_in_a_mixed_text() -> None:
    text = (
        "Здравствуйте, у нас в ауле аким собрал всех и сказал: партияға кірмесеңдер жәрдемақы жоқ."
    )
    assert detect_language(text) == "ru"
