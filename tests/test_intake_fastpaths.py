"""The intake's shortcuts give what the plain computations they replace give.

`words_only` drops the alternatives a text cannot match before its one substitution, and the
rules' `Plan` looks only at the lemmas, prefixes and patterns a text can match: on the labelled
corpus, generated complaints and texts made to hit every alternative, both must agree with the
straightforward versions written out here.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from bench.textgen import complaints
from intake import category, language
from intake.category import Rules, load_rules, rule_scores
from intake.corpus import load_corpus

# The single pattern `words_only` ran before it learned to leave alternatives out.
PLAIN_NOT_WORDS = re.compile(
    r"(?:https?://|ftp://|www\.)\S+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|<[^<>]{0,2000}>"
    r"|&#?\w{1,10};"
    r"|\b[\w-]*\d[\w-]*\b"
    r"|\b[\w-]+\.(?:kz|ru|com|org|net|gov|html?|php|pdf|docx?|jpe?g|png)\b",
    re.IGNORECASE,
)
ODD = [
    "Смотрите https://drive.google.com/x?id=1 и WWW.Example.KZ/путь, пишите на a.b+c@mail.ru",
    "<p style='x'>Алматы</p>&nbsp;&#171;ТОО&#187; 8 701 123 45 67, ИИН 900101300123",
    "скан_2024.PDF, фото.jpeg и отчет.docx на gov.kz; ftp://files.kz/1 — 12abc 3-й",
    "адрес: user@host, <незакрытый тег, & без точки с запятой; www. и http:/ почти ссылки",
    "е-mail: Иван.Петров@почта.рф, сайт пример.рф, а также 5000тг и №7",
    "",
    "просто текст без ничего",
    # letters IGNORECASE matches beyond lower case: the patterns see them, so must the gates
    "I was added to the party wıthout my consent, sıgned mınutes forged, they paıd for votes",
    "Мою подпиᲃь подделали, меня заᲃтавили вᲃтупить в партию, ſms code was stolen",
]


@cache
def _texts() -> tuple[str, ...]:
    return tuple([item.text for item in load_corpus()] + complaints(500) + ODD)


def test_it_removes_what_the_plain_pattern_removes() -> None:
    for text in _texts():
        assert language.words_only(text) == PLAIN_NOT_WORDS.sub(" ", text), text


def _plain_scores(text: str, rules: Rules) -> dict[str, float]:
    """`rule_scores` as a loop over every rule, lemma and gated pattern."""
    text = text[: category.MAX_CHARS]
    views = category._views(text)
    keys = category._word_keys(text)
    joined = "\n".join(views)
    present = {p for p in rules.prefixes if p in joined}
    scores = {}
    for rule in rules:
        score = sum(w for lemma, w in rule.lemmas.items() if lemma in keys)
        for (pattern, weight), gate in zip(rule.patterns, rule.gates, strict=False):
            if gate is not None and gate.isdisjoint(present):
                continue
            if any(pattern.search(view) for view in views):
                score += weight
        if score > 0:
            scores[rule.code] = score
    return scores


def test_it_scores_what_the_plain_loop_scores() -> None:
    rules = load_rules()
    matched = 0
    for text in _texts():
        expected = _plain_scores(text, rules)
        assert rule_scores(text, rules) == expected, text
        matched += bool(expected)
    assert matched > 500  # the rules do match: the comparison is not between empty answers


@pytest.mark.parametrize("word", ["смс-код", "азик-тулик"])
def test_it_finds_a_prefix_that_is_not_one_word(word: str) -> None:
    plan = load_rules().plan
    assert word in plan.other
    assert word in plan.present(f"прислали {word} вчера")
