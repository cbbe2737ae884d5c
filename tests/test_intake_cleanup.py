"""Cleanup: HTML to text, whitespace, and the new text split from quoted history."""

from __future__ import annotations

import pytest

from intake.cleanup import clean, html_to_text, normalise_whitespace

HTML = """<html><head><title>Жалоба</title><style>p {color: red}</style>
<script>document.write("Астана")</script></head><body>
<p>В Таразе <b>раздают</b>&nbsp;деньги.</p><!-- Алматы --><div>Вторая строка<br>третья</div>
<noscript>включите JS</noscript></body></html>"""


def test_it_keeps_the_visible_text_of_html() -> None:
    assert clean(html=HTML).text == "В Таразе раздают деньги.\nВторая строка\nтретья"


def test_it_drops_scripts_styles_titles_and_comments() -> None:
    text = html_to_text(HTML)
    for hidden in ("document.write", "color: red", "Жалоба", "Алматы", "включите"):
        assert hidden not in text


def test_it_prefers_the_plain_text_part_when_there_is_one() -> None:
    assert clean("простой текст", html="<p>другой</p>").text == "простой текст"


def test_it_sets_html_quotes_apart() -> None:
    html = (
        "<div>Новая жалоба про Павлодар.</div><div class='gmail_quote'>"
        "<div class='gmail_attr'>On Mon, Commission wrote:</div>"
        "<blockquote>Уточните город: <p>Астана?</p></blockquote></div>"
    )
    result = clean(html=html)
    assert result.text == "Новая жалоба про Павлодар."
    assert "Астана?" in result.quoted


def test_it_normalises_whitespace_and_removes_control_characters() -> None:
    raw = "  В\u00a0Таразе\t\tподкуп\r\n\r\n\r\n\r\nвторой\x00 абзац\u200b\ufeff  "
    assert normalise_whitespace(raw) == "В Таразе подкуп\n\nвторой абзац"


def test_it_removes_lone_surrogates_that_cannot_be_written_out() -> None:
    assert clean("текст \ud800 дальше").text == "текст дальше"


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, 3 Mar 2025 at 10:15, Commission <c@example.kz> wrote:",
        "пн, 3 мар. 2025 г. в 10:15, Комиссия <central@example.kz>:",
        '03.03.2025, 10:15, "Комиссия" <central@example.kz>:',
        "03.03.2025 10:15, Комиссия пишет:",
        "Понедельник, 3 марта 2025, 10:15 +05:00 от Комиссия <c@example.kz>:",
        "Дс, 3 нау. 2025 ж. 10:15 Комиссия <c@example.kz> жазды:",
        "-------- Пересылаемое сообщение --------",
        "---------- Forwarded message ---------",
        "-----Original Message-----",
        "От: Комиссия <c@example.kz>\nОтправлено: 3 марта 2025 г. 10:15",
        "From: Commission <c@example.kz>\nSent: Monday, March 3, 2025 10:15",
        "Кімнен: Комиссия <c@example.kz>\nЖіберілді: 3 наурыз 2025 ж.",
    ],
)
def test_it_splits_off_quoted_history_from_common_mail_clients(header: str) -> None:
    result = clean(f"В Павлодаре подкуп.\nВторая строка.\n\n{header}\n> Уточните: Астана?")
    assert result.text == "В Павлодаре подкуп.\nВторая строка."
    assert "Астана?" in result.quoted


def test_it_drops_a_trailing_block_of_quoted_lines() -> None:
    result = clean("Ответ: это было в Таразе.\n\n> Где это было?\n> В каком городе?")
    assert result.text == "Ответ: это было в Таразе."
    assert result.quoted.startswith("> Где")


def test_it_keeps_quoted_lines_between_new_ones() -> None:
    text = "> Где это было?\nВ Таразе.\n> Когда?\nВчера."
    assert clean(text).text == text


@pytest.mark.parametrize(
    "signature",
    [
        "С уважением,\nАйгерим Б.\nг. Астана, ул. Кенесары 40",
        "Құрметпен,\nАйгүл",
        "Best regards,\nJohn",
        "-- \nИван Иванов\n+7 701 000 00 00",
        "Sent from my iPhone",
        "Отправлено из мобильной Почты Mail.ru",
        "iPhone құрылғысынан жіберілді",
    ],
)
def test_it_splits_off_a_signature(signature: str) -> None:
    result = clean(f"В Павлодаре собрание без кворума.\n\n{signature}")
    assert result.text == "В Павлодаре собрание без кворума."
    assert result.quoted


def test_it_keeps_a_closing_phrase_that_starts_the_message() -> None:
    text = "С уважением к вашей работе пишу: в Таразе подкуп."
    assert clean(text).text == text


def test_it_keeps_a_long_text_after_a_phrase_that_looks_like_a_signature() -> None:
    body = "\n".join(f"строка {n} про Тараз" for n in range(12))
    text = f"Начало.\nС уважением к закону скажу:\n{body}"
    assert clean(text).text == text


def test_it_analyses_everything_when_everything_looks_quoted() -> None:
    assert clean("> только цитата про Тараз").text == "> только цитата про Тараз"
