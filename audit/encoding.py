"""The encoding and delimiter of a CSV file, from evidence in samples of its bytes."""

from __future__ import annotations

import codecs
import csv
import os
from pathlib import Path

SAMPLE = 256 * 1024
DELIMITERS = ",;\t|"
_KAZAKH = set("ӘәҒғҚқҢңӨөҰұҮүҺһ")
# Bytes cp1251 and kz1048 read differently (Serbian/Macedonian letters vs Kazakh ones).
_DIFFERENT = bytes(
    b for b in range(0x80, 0x100)
    if bytes([b]).decode("cp1251", "replace") != bytes([b]).decode("kz1048", "replace")
)


def samples(path: Path) -> list[bytes]:
    """The start, the middle and the end of the file (all of it when small)."""
    size = os.path.getsize(path)
    with path.open("rb") as handle:
        if size <= 3 * SAMPLE:
            return [handle.read()]
        chunks = [handle.read(SAMPLE)]
        for offset in (size // 2, size - SAMPLE):
            handle.seek(offset)
            chunks.append(handle.read(SAMPLE))
        return chunks


def _utf8_evidence(chunk: bytes, first: bool) -> tuple[int, int]:
    """(characters beyond ASCII that decode as UTF-8, bytes that do not)."""
    if not first:  # a sample cut in the middle of a character: skip its continuation bytes
        start = 0
        while start < 4 and start < len(chunk) and 0x80 <= chunk[start] <= 0xBF:
            start += 1
        chunk = chunk[start:]
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(chunk, final=False)  # an incomplete last character is fine
    bad = text.count("\ufffd")
    beyond_ascii = len(text) - len(text.encode("ascii", "ignore"))  # counted in C
    return beyond_ascii - bad, bad


def detect_encoding(chunks: list[bytes]) -> str:
    """utf-8-sig (a BOM), utf-8 (the samples decode, but for a stray byte), else kz1048 when the bytes the two
    Cyrillic code pages read differently are Kazakh letters in kz1048, else cp1251."""
    if chunks[0].startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    good = bad = 0
    for index, chunk in enumerate(chunks):
        valid, invalid = _utf8_evidence(chunk, index == 0)
        good, bad = good + valid, bad + invalid
    # A UTF-8 export with a stray bad byte is still UTF-8 (that row is reported); a cp1251
    # file read as UTF-8 is nearly all invalid sequences.
    if bad == 0 or good > 10 * bad:
        return "utf-8"
    kazakh = other = 0
    for chunk in chunks:
        for byte in set(chunk) & set(_DIFFERENT):
            if bytes([byte]).decode("kz1048", "replace") in _KAZAKH:
                kazakh += chunk.count(byte)
            else:
                other += chunk.count(byte)
    return "kz1048" if kazakh > other else "cp1251"


def detect_delimiter(text: str) -> str:
    """csv.Sniffer over the first lines; failing that, the most frequent candidate in the
    header line."""
    head = text[: text.rfind("\n") + 1] or text
    try:
        return csv.Sniffer().sniff(head[:65536], delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = head.splitlines()[0] if head else ""
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","
