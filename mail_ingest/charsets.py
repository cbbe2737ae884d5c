"""Turning the bytes of a mail part into text whatever its label says.

Old clients send koi8-r, windows-1251 under labels CPython does not know (`x-cp1251`,
`win-1251`), 8-bit text labelled us-ascii, and cp1251 labelled UTF-8. The label is tried first;
when it is unknown or the bytes do not fit it, charset-normalizer decides. Nothing is dropped
silently: bytes no candidate can decode become U+FFFD and the caller is told.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Labels seen in the wild that CPython's codec registry does not resolve (or resolves to a
# narrower charset than the mail clients meant).
_ALIASES = {
    "x-cp1251": "cp1251",
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "windows1251": "cp1251",
    "cp-1251": "cp1251",
    "x-win-1251": "cp1251",
    "x-cp866": "cp866",
    "koi8r": "koi8_r",
    "koi8": "koi8_r",
    "x-koi8-r": "koi8_r",
    "koi8-ru": "koi8_u",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-user-defined": "cp1252",
    "iso-8859-1": "cp1252",  # what senders mean by latin-1 (as browsers assume)
    "latin1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "default": "",
}
# When a label is wrong, the sender almost always meant one of these.
_CYRILLIC_8BIT = ("cp1251", "kz1048", "koi8_r", "koi8_u", "cp866", "mac_cyrillic", "iso8859_5")
_CYRILLIC_CODECS = frozenset(codecs.lookup(name).name for name in _CYRILLIC_8BIT)
_SINGLE_BYTE = _CYRILLIC_CODECS | {
    codecs.lookup(name).name for name in ("cp1252", "cp1250", "latin_1", "iso8859_2")
}
# The most frequent letters of Russian and Kazakh text; a wrong 8-bit table scrambles them.
_COMMON = frozenset("оеаинтсрвлкмдпуыі")
# Non-ASCII punctuation that real Russian and Kazakh text uses.
_PLAIN_SYMBOLS = frozenset("«»—–…№°“”„’‘•€₸\u00a0")
_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]", re.IGNORECASE)
MIN_LETTERS = 8
GOOD_FIT = 0.75  # real text scores 0.8-0.95, a wrong table 0.1-0.7
SWITCH_MARGIN = 0.15


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str  # the codec actually used
    note: str | None = None  # set when the label was not what the bytes are


def codec_for(label: str | None) -> str | None:
    """The Python codec name for a MIME charset label, or None when it is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _measure(text: str) -> tuple[float, int] | None:
    sample = text[:4000]
    letters = _CYRILLIC.findall(sample)
    if len(letters) < MIN_LETTERS:
        return None
    odd = sum(1 for char in sample if ord(char) > 127 and char not in _PLAIN_SYMBOLS)
    odd = max(odd - len(letters), 0)
    common = sum(1 for letter in letters if letter.lower() in _COMMON)
    return common / (len(letters) + odd), odd


def cyrillic_fit(text: str) -> float | None:
    """Share of the commonest Russian/Kazakh letters among the Cyrillic letters and stray
    8-bit symbols of a text (None when it has too few Cyrillic letters to judge)."""
    measured = _measure(text)
    return measured[0] if measured else None


def _best_cyrillic(data: bytes) -> tuple[float, str, str] | None:
    """The 8-bit Cyrillic table under which the bytes read most like Russian or Kazakh."""
    best: tuple[tuple[float, int], str, str] | None = None
    for candidate in _CYRILLIC_8BIT:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        measured = _measure(text)
        if measured is None:
            continue
        # Equal fits: the table that leaves fewer stray symbols (kz1048 for Kazakh letters).
        key = (round(measured[0], 3), -measured[1])
        if best is None or key > best[0]:
            best = (key, candidate, text)
    return (best[0][0], best[1], best[2]) if best else None


def _recheck_cyrillic(data: bytes, text: str, codec: str, label: str | None) -> Decoded:
    """A declared Cyrillic table that reads badly is replaced by one that reads clearly better."""
    fit = cyrillic_fit(text)
    if fit is not None and fit >= GOOD_FIT:
        return Decoded(text, codec)
    best = _best_cyrillic(data)
    if best and best[0] >= GOOD_FIT and best[0] >= (fit or 0.0) + SWITCH_MARGIN:
        return Decoded(best[2], best[1], f"labelled {label}, decoded as {best[1]}")
    return Decoded(text, codec)


def _mostly(data: bytes, codec: str, label: str | None) -> Decoded | None:
    """The declared charset with a few broken bytes is still the declared charset."""
    text = data.decode(codec, errors="replace")
    broken = text.count("\ufffd")
    if broken * 100 > len(text):
        return None
    return Decoded(text, codec, f"labelled {label}: {broken} undecodable bytes shown as U+FFFD")


def _detect(data: bytes, label: str | None) -> Decoded:
    note = f"labelled {label or 'nothing'}"
    best = _best_cyrillic(data)
    if best and best[0] >= GOOD_FIT:
        return Decoded(best[2], best[1], f"{note}, decoded as {best[1]}")
    guess = from_bytes(data).best()
    if guess is not None and guess.encoding:
        return Decoded(str(guess), guess.encoding, f"{note}, detected {guess.encoding}")
    text = data.decode("utf-8", errors="replace")
    return Decoded(text, "utf-8", f"{note}, undecodable bytes shown as U+FFFD")


def decode_bytes(data: bytes, label: str | None) -> Decoded:
    """Decode one part's bytes; see the module docstring for the order of attempts."""
    codec = codec_for(label)
    if codec is None and data.isascii():
        if b"\x1b$" in data:  # unlabelled ISO-2022-JP escape sequences
            try:
                return Decoded(data.decode("iso2022_jp"), "iso2022_jp", "unlabelled iso-2022-jp")
            except UnicodeDecodeError:
                pass
        return Decoded(data.decode("ascii"), "ascii")
    if codec in _SINGLE_BYTE and not data.isascii():
        # Valid multi-byte UTF-8 is almost never an accident in an 8-bit charset.
        try:
            return Decoded(data.decode("utf-8"), "utf-8", f"labelled {label}, is utf-8")
        except UnicodeDecodeError:
            pass
    if codec is None:
        try:
            return Decoded(data.decode("utf-8"), "utf-8")
        except UnicodeDecodeError:
            return _detect(data, label)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return _mostly(data, codec, label) or _detect(data, label)
    if codec in _CYRILLIC_CODECS:
        return _recheck_cyrillic(data, text, codec, label)
    return Decoded(text, codec)
