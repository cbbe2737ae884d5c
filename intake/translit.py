"""One folded alphabet for names written in Russian, Kazakh (Cyrillic or Latin) or English.

Spellings of one place disagree on Kazakh letters (Қарағанды/Караганды), on ы/и/й, э/е and the
soft sign (Кульсары/Құлсары, Экибастуз/Екібастұз), and on the Latin alphabet used (the 2018
Kazakh Latin with acute accents, the 2021 one, or plain ASCII transliteration). `fold` maps
them all to lower-case Cyrillic without those distinctions, so they compare equal.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CYRILLIC_FOLD = str.maketrans(
    {
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ё": "е",
        "й": "и",
        "ы": "и",
        "э": "е",
        "ь": None,
        "ъ": None,
    }
)
_LATIN_DIGRAPHS = re.compile(r"shch|sh|ch|zh|kh|gh|ts")
_DIGRAPH = {"shch": "щ", "sh": "ш", "ch": "ч", "zh": "ж", "kh": "х", "gh": "г", "ts": "ц"}
_LATIN = str.maketrans(
    {
        "a": "а", "á": "а", "ä": "а", "b": "б", "c": "к", "ç": "ч", "d": "д", "e": "е",
        "f": "ф", "g": "г", "ǵ": "г", "ğ": "г", "h": "х", "i": "и", "ı": "и", "j": "ж",
        "k": "к", "l": "л", "m": "м", "n": "н", "ń": "н", "ñ": "н", "o": "о", "ó": "о",
        "ö": "о", "p": "п", "q": "к", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у",
        "ú": "у", "ü": "у", "ū": "у", "ý": "у", "v": "в", "w": "у", "x": "х", "y": "и",
        "z": "з",
    }
)  # fmt: skip


def is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in word)


def latin_to_cyrillic(word: str) -> str:
    """Transliterate a lower-case Latin word (Kazakh or English spelling) letter by letter."""
    word = _LATIN_DIGRAPHS.sub(lambda m: _DIGRAPH[m.group()], word)
    return word.translate(_LATIN)


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """The folded form of a word: lower case, one Cyrillic alphabet, no spelling variants."""
    # Latin letters inside a Cyrillic word (look-alike "A" in "Aстана") are transliterated too.
    word = word.lower().replace("\u0307", "")  # the dot "İ".lower() leaves behind
    return latin_to_cyrillic(word).translate(_CYRILLIC_FOLD)


_CYRILLIC_FOLD_ANY_CASE = {
    **_CYRILLIC_FOLD,
    **{ord(chr(k).upper()): (v.upper() if v else v) for k, v in _CYRILLIC_FOLD.items()},
}


def fold_cyrillic(text: str) -> str:
    """Fold only the Cyrillic letters of a text (keeps case, Latin, digits and regex syntax)."""
    return text.translate(_CYRILLIC_FOLD_ANY_CASE)
