"""How much a decoded text reads like Russian or Kazakh: the evidence `charsets` uses to choose
among the 8-bit tables when a mail's label lies or is missing.

Reading bytes with the wrong Cyrillic table leaves marks that real text does not have:
letters outside the Russian and Kazakh alphabets (kz1048 read as cp1251 gives Serbian ќ џ ў,
cp1251 read as latin-1 gives accented Latin), words whose case goes up and down (koi8-r read
as cp1251 inverts case: "фЕМИРТАУ"), symbols inside words or where letters should be
(mac-cyrillic turns capitals into “ ‚ Љ; cp866 read as cp1251 gives ¦ ¤ §), control characters.
Where no such mark tells (an all-lowercase koi8-r text read as cp1251 comes out all capitals,
every letter valid), the letters' frequencies do: real text is made of о е а и н т, a table
mix-up of ф й ъ щ. charset-normalizer was measured on the same task and chose worse
(kz1048 and mac-cyrillic especially, and short texts; see tests/test_mail_charsets.py).

ASCII reads the same under every table, so only the rest is judged.
"""

from __future__ import annotations

import itertools
import math
import re
import string
import unicodedata
from dataclasses import dataclass

# Letter frequencies, per cent: Russian (national corpus) and Kazakh, the larger of the two.
_PERCENT = {
    "о": 10.97, "е": 8.45, "а": 12.0, "и": 7.35, "н": 6.70, "т": 6.26, "с": 5.47, "р": 5.5,
    "в": 4.54, "л": 5.5, "к": 3.49, "м": 3.21, "д": 3.5, "п": 2.81, "у": 2.62, "я": 2.01,
    "ы": 6.5, "ь": 1.74, "г": 1.70, "з": 2.0, "б": 2.5, "ч": 1.44, "й": 1.5, "х": 0.97,
    "ж": 2.5, "ш": 2.0, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32, "ф": 0.26, "ъ": 0.04,
    "ё": 0.04, "і": 5.0, "қ": 3.5, "ғ": 1.5, "ң": 1.3, "ү": 1.3, "ұ": 1.3, "ә": 1.5,
    "ө": 0.9, "һ": 0.05,
}  # fmt: skip
# Evidence per letter: log of its frequency against a rare letter's (0.5 %), floored.
_WEIGHT = {letter: max(math.log(p / 0.5), -2.0) for letter, p in _PERCENT.items()}
# Symbols real Russian and Kazakh text uses around words.
_TYPOGRAPHIC = frozenset("«»“”„‘’‹›—–…№°•€₸\u00a0\u00ad")
_OPENERS = frozenset("‘’“”„‚")  # capitals of mac-cyrillic read as cp1251 and vice versa
_CLOSERS = frozenset("’”“‘\"'")
_EDGE = string.punctuation + "«»“”„‘’‹›—–…"
_INNER = frozenset("-'’.")  # inside words: Нұр-Сұлтан, ТОО-ның, д'Артаньян
_STAND_INS = frozenset("iIhH")  # Latin letters Kazakh writers put for і and һ: бiздi
_PARTS = re.compile(r"[-'’.\d]+")
SYMBOL_COST = 3.0  # a stray symbol where text should be
WORD_COST = 4.0  # each non-ASCII character of a word that cannot be a word
CONTROL_COST = 6.0  # control characters, U+FFFD, private use
MIN_EVIDENCE = 4.0  # below this much letter evidence nothing is judged plausible
MIN_MEAN = 1.2  # mean evidence per letter: real text ~2, a scrambled table ~1
SWITCH_MARGIN = 3.0  # how much better another reading must be to override the label


@dataclass(frozen=True, slots=True)
class Reading:
    score: float  # letter evidence minus the cost of the marks
    evidence: float
    penalty: float
    letters: int
    words: int  # well-formed Cyrillic words of three letters or more

    @property
    def plausible(self) -> bool:
        """Reads as Russian or Kazakh: real words, frequent letters, few marks."""
        if self.evidence < MIN_EVIDENCE or self.evidence < 4 * self.penalty or not self.words:
            return False
        return self.letters < 8 or self.evidence / self.letters >= MIN_MEAN


def _camel(letters: str) -> bool:
    """Title-case pieces run together: КазМунайГаз, ПавлодарЭнергоСервис."""
    if not letters[0].isupper():
        return False
    return not any(a.isupper() and b.isupper() for a, b in itertools.pairwise(letters))


def _case_ok(letters: str) -> bool:
    """lower, Title, UPPER, CamelCase, or an abbreviation with a short suffix (ЦИКе,
    ТОО-ның). A table mix-up inverts case: фЕМИРТАУ, пАРТИЯ."""
    if letters.islower() or letters.isupper() or _camel(letters):
        return True
    upper = next((i for i, c in enumerate(letters) if not c.isupper()), len(letters))
    rest = letters[upper:]
    return upper >= 2 and rest.islower() and len(rest) <= 5


def _latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _is_control(char: str) -> bool:
    code = ord(char)
    return char == "\ufffd" or 0x80 <= code < 0xA0 or 0xE000 <= code < 0xF900


def _word(core: str) -> tuple[float, int, float]:
    """(evidence, letters, penalty) of one word stripped of its edge punctuation."""
    letters = "".join(c for c in core if c.isalpha())
    wide = sum(1 for c in core if not c.isascii())
    odd = any(not (c.isalnum() or c in _INNER) for c in core)
    if not odd and all(c.isascii() or _latin(c) for c in letters):
        return 0.0, 0, 0.0  # a Latin-script word (café, Qazaqstan): no evidence either way
    weights = [_WEIGHT.get(c.lower()) for c in letters if not c.isascii()]
    if any(c.isascii() and c not in _STAND_INS for c in letters):
        weights.append(None)  # Latin and Cyrillic in one word: Йcoutez, fьr
    parts = _PARTS.split(core)
    cased = all(_case_ok(p) for part in parts if (p := "".join(filter(str.isalpha, part))))
    if odd or None in weights or not letters or not cased:
        return 0.0, 0, WORD_COST * wide
    return sum(w for w in weights if w is not None), len(weights), 0.0


def judge(text: str) -> Reading:
    """How much `text` reads like Russian or Kazakh (see the module docstring)."""
    evidence = penalty = 0.0
    letters = words = 0
    for token in text.split():
        if token.isascii():
            continue
        core = token.strip(_EDGE)
        if core and token[0] in _OPENERS and core[0].islower() and token[-1] not in _CLOSERS:
            penalty += SYMBOL_COST  # ‘атпаев: a capital read with the wrong table, not a quote
        for char in token.replace(core, "", 1) if core else token:
            if _is_control(char):
                penalty += CONTROL_COST
            elif not char.isascii() and char not in _TYPOGRAPHIC:
                penalty += SYMBOL_COST
        if core and not core.isascii():
            if any(_is_control(c) for c in core):
                penalty += CONTROL_COST * sum(1 for c in core if _is_control(c))
            gained, count, cost = _word(core)
            evidence, letters, penalty = evidence + gained, letters + count, penalty + cost
            words += count >= 3
    return Reading(evidence - penalty, evidence, penalty, letters, words)
