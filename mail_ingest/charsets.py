"""Turning the bytes of a mail part into text whatever its label says.

Old clients send koi8-r, windows-1251 under labels CPython does not know (`x-cp1251`,
`win-1251`), 8-bit text labelled us-ascii, cp1251 labelled UTF-8, latin-1 or koi8-r, or no
label at all. The label is tried first. When it is unknown or the bytes do not fit it, or when
an 8-bit label reads like mojibake, every encoding Russian and Kazakh mail really uses
(`FALLBACKS`) is read and the one whose text reads most like Russian or Kazakh wins
(`mail_ingest.cyrillic`: alphabet, letter case, stray symbols, letter frequencies). Only when
none reads as Cyrillic text does charset-normalizer decide (Japanese, Korean...). Nothing is
dropped silently: bytes no candidate can decode become U+FFFD and the caller is told.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from mail_ingest.cyrillic import SWITCH_MARGIN, Reading, judge

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
# When a label is wrong or missing, the sender almost always meant one of these (the encodings
# Russian and Kazakh mail really uses), tried in this order: on equal evidence the earlier wins,
# so mac-cyrillic, the rarest, comes last.
FALLBACKS = ("utf-8", "cp1251", "koi8_r", "kz1048", "cp866", "iso8859_5", "mac_cyrillic")
_CYRILLIC_8BIT = (*FALLBACKS[1:], "koi8_u")
_CYRILLIC_CODECS = frozenset(codecs.lookup(name).name for name in _CYRILLIC_8BIT)
_LATIN_8BIT = frozenset(
    codecs.lookup(name).name for name in ("cp1252", "cp1250", "latin_1", "iso8859_2")
)
_SINGLE_BYTE = _CYRILLIC_CODECS | _LATIN_8BIT
# mac-cyrillic, the rarest in mail, must read clearly better to be chosen: its capitals are
# other tables' quotes and Kazakh letters, so short texts can read well under it by chance.
_HANDICAP = {codecs.lookup("mac_cyrillic").name: 2.0}
SAMPLE_CHARS = 6000  # enough text to judge; the rest decodes the same way


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


def _readings(data: bytes, first: str | None) -> list[tuple[str, str]]:
    """(codec, text) for each fallback that decodes the bytes, the declared codec first."""
    order = dict.fromkeys([first] if first else [])
    order.update(dict.fromkeys(codecs.lookup(name).name for name in FALLBACKS))
    found = []
    for codec in order:
        try:
            found.append((codec, data.decode(codec)))
        except UnicodeDecodeError:
            continue
    return found


def _choose(
    data: bytes, declared: str | None, label: str | None
) -> tuple[Decoded, Reading] | None:
    """The reading of the bytes that looks most like Russian or Kazakh text (None when none
    looks like text at all). The declared codec wins ties; see `mail_ingest.cyrillic`."""
    best: tuple[float, int, str, str, Reading] | None = None
    for rank, (codec, text) in enumerate(_readings(data, declared)):
        reading = judge(text[:SAMPLE_CHARS])
        key = (reading.score - _HANDICAP.get(codec, 0.0), -rank)
        if best is None or key > best[:2]:
            best = (reading.score, -rank, codec, text, reading)
    if best is None or not best[4].plausible:
        return None
    codec, text = best[2], best[3]
    note = None if codec == declared else f"labelled {label or 'nothing'}, decoded as {codec}"
    return Decoded(text, codec, note), best[4]


def _recheck(data: bytes, text: str, codec: str, label: str | None) -> Decoded:
    """A declared 8-bit table that reads like mojibake is replaced by one that reads clearly
    better as Russian or Kazakh (windows-1251 sent as koi8-r or as latin-1, say)."""
    declared = judge(text[:SAMPLE_CHARS])
    chosen = _choose(data, codec, label)
    if chosen is None or chosen[0].charset == codec:
        return Decoded(text, codec)
    if chosen[1].score < declared.score + SWITCH_MARGIN:
        return Decoded(text, codec)
    return chosen[0]


def _mostly(data: bytes, codec: str, label: str | None) -> Decoded | None:
    """The declared charset with a few broken bytes is still the declared charset."""
    text = data.decode(codec, errors="replace")
    broken = text.count("\ufffd")
    if broken * 100 > len(text):
        return None
    return Decoded(text, codec, f"labelled {label}: {broken} undecodable bytes shown as U+FFFD")


def _detect(data: bytes, codec: str | None, label: str | None) -> Decoded:
    """The declared codec (or none) failed: the best Cyrillic reading, else the declared one
    with a few broken bytes, else what charset-normalizer makes of it (CJK and the like)."""
    chosen = _choose(data, None, label)
    if chosen is not None:
        return chosen[0]
    mostly = _mostly(data, codec, label) if codec else None
    if mostly is not None:
        return mostly
    note = f"labelled {label or 'nothing'}"
    from charset_normalizer import from_bytes  # costly to import: only for odd mail

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
            return _detect(data, None, label)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return _detect(data, codec, label)
    if codec in _SINGLE_BYTE:
        return _recheck(data, text, codec, label)
    return Decoded(text, codec)
