"""The features the category model reads from a text; the same code trains it and runs it.

Two bags of terms, each weighted by TF-IDF when the model is trained (`shagym train category`):

- words: Russian words by their pymorphy3 lemmas (every parse's, so inflections meet); other
  words (Kazakh, Latin) folded to one alphabet (`intake.translit.fold`: Kazakh letters to their
  Russian neighbours, Latin-script Kazakh to Cyrillic) plus their stem with Kazakh endings
  stripped; and pairs of neighbouring words ("без согласия", "за меня");
- chars: character 2–5-grams inside each folded word padded with spaces (like scikit-learn's
  `char_wb`), which catch Kazakh morphology, typos and voice-to-text spellings.

URLs, addresses, markup and numbers are removed first (`intake.language.words_only`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from intake.gazetteer import kk_stems, lemmas
from intake.language import KAZAKH_LETTERS, words_only
from intake.translit import fold, is_cyrillic

MAX_CHARS = 20_000
CHAR_RANGE = (2, 5)
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=200_000)
def _word_terms(lower: str) -> tuple[tuple[str, ...], str]:
    """(the terms of one lower-case word, its primary form for word pairs)."""
    if is_cyrillic(lower) and KAZAKH_LETTERS.isdisjoint(lower):
        forms = tuple(sorted(lemmas(lower)))
        if forms:
            return forms, forms[0]
    folded = fold(lower)
    stems = [s for s in kk_stems(folded) if len(s) >= 3]
    if not stems:
        return (folded,), folded
    stem = min(stems, key=lambda s: (len(s), s))
    return (folded, "~" + stem), folded


def word_forms(word: str) -> tuple[str, ...]:
    """The words block's terms of one lower-case word (without its pairs)."""
    return _word_terms(word)[0]


def words(text: str) -> list[str]:
    """The lower-case words of a text, without URLs, addresses, markup and numbers."""
    return _WORD.findall(words_only(text[:MAX_CHARS]).lower())


def word_terms(text: str) -> list[str]:
    """The words block's terms of a text (with repeats: counts matter)."""
    return terms_of_words(words(text))


def terms_of_words(text_words: list[str]) -> list[str]:
    """The words block's terms of a text's words (`words`)."""
    terms: list[str] = []
    previous = ""
    for word in text_words:
        forms, primary = _word_terms(word)
        terms += forms
        if previous:
            terms.append(previous + " " + primary)
        previous = primary
    return terms


@lru_cache(maxsize=200_000)
def word_grams(word: str) -> tuple[str, ...]:
    """The chars block's terms of one lower-case word."""
    padded = f" {fold(word)} "
    low, high = CHAR_RANGE
    return tuple(
        padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)
    )


def char_terms(text: str) -> list[str]:
    """The chars block's terms of a text: 2–5-grams within each folded, padded word."""
    terms: list[str] = []
    for word in words(text):
        terms += word_grams(word)
    return terms


BLOCKS = {"words": word_terms, "chars": char_terms}
