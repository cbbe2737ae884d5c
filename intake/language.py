"""Language of a report: ru, kk (Cyrillic or Latin script) or en."""

from __future__ import annotations

import re

KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Frequent Kazakh words with no Kazakh-only letter (so that "мен бала" text without ә still counts).
_KK_WORDS = frozenset(
    ["және", "мен", "бен", "пен", "бұл", "осы", "сол", "деп", "деді", "туралы", "бойынша", "үшін", "емес", "бар", "жоқ", "біз", "сіз", "олар", "ол", "партия", "партиясы", "мүшесі", "мүшелері", "облысы", "ауданы", "қаласы", "ауылы", "жылы", "айы", "күні", "дауыс", "беру", "сайлау", "сайлауда", "шағым", "шағымы", "арыз", "көмек", "сұраймын", "өтінемін", "тексеру"]
)
_KK_LATIN_WORDS = frozenset(
    ["jáne", "men", "ben", "pen", "bul", "osy", "sol", "dep", "turaly", "boıynsha", "úshin", "emes", "bar", "joq", "biz", "siz", "olar", "ol", "partııa", "partiiasy", "múshesi", "músheleri", "oblysy", "aýdany", "qalasy", "aýyly", "jyly", "daýys", "berý", "saılaý", "shaǵym", "aryz", "kómek", "tekserý"]
)
_KK_LATIN_LETTERS = frozenset("áǵńóúýıÁǴŃÓÚÝ")
_RU_WORDS = frozenset(
    ["и", "в", "на", "не", "что", "это", "как", "по", "из", "за", "от", "для", "у", "о", "к", "с", "мы", "я", "он", "она", "они", "был", "была", "были", "нет", "есть", "прошу", "области", "района", "города", "член", "члены", "партии", "голосование", "выборы"]
)


def detect_language(text: str, default: str = "ru") -> str:
    """Answer `ru`, `kk` or `en` from letters and frequent words; `default` when unclear."""
    words = [w.lower() for w in _WORD.findall(text[:20_000])]
    if not words:
        return default
    cyrillic = latin = kk_score = ru_score = kk_latin_score = 0
    for word in words:
        if any("\u0400" <= ch <= "\u04ff" for ch in word):
            cyrillic += 1
            if any(ch in KAZAKH_LETTERS for ch in word):
                kk_score += 2
            if word in _KK_WORDS:
                kk_score += 1
            if word in _RU_WORDS:
                ru_score += 1
        elif word.isascii() or any(ch in _KK_LATIN_LETTERS for ch in word):
            latin += 1
            if any(ch in _KK_LATIN_LETTERS for ch in word) or word in _KK_LATIN_WORDS:
                kk_latin_score += 1
    if cyrillic >= latin:
        if cyrillic == 0:
            return default
        # A Russian text naming Kazakh places has a few ә/қ; Kazakh text has them throughout.
        return "kk" if kk_score > max(2, ru_score) or kk_score / cyrillic > 0.35 else "ru"
    return "kk" if kk_latin_score >= max(2, latin * 0.15) else "en"
