"""polars' CSV reader for the files whose rows it provably numbers as the csv module does:
no quote character, no NUL and no lone carriage return anywhere (checked in one byte scan
before reading). In such a file every line is one row — a blank line too, as the csv module
counts it — so a row's number is its line's number, and polars' multi-threaded parser (no
Python object a cell) reads it. Any other file keeps the csv module (readers.py).

The file is read in blocks cut at a line end (streamed, never whole); cp1251 and kz1048 blocks
are transcoded to UTF-8 first (single-byte encodings: a cut at b"\\n" is a cut between
characters). Bytes invalid in UTF-8 become U+FFFD, as the csv path's decoder makes them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

BLOCK = 16 * 1024 * 1024
_UTF8 = ("utf-8", "utf-8-sig")
_LONE_CR = re.compile(rb"\r(?!\n)(?!\Z)")  # one at the very end: decided with the next read


_PLAIN: dict[tuple[Path, int, int], bool] = {}  # a run opens each file three times


def plain(path: Path) -> bool:
    """No quotes, NULs or lone carriage returns: each line of the file is one row."""
    stat = path.stat()
    key = (path.resolve(), stat.st_size, stat.st_mtime_ns)
    if key not in _PLAIN:
        _PLAIN[key] = _scan_plain(path)
    return _PLAIN[key]


def _scan_plain(path: Path) -> bool:
    tail = b""  # a CR ending one read is lone unless the next starts with LF
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            if b'"' in block or b"\0" in block:
                return False
            if (tail and not block.startswith(b"\n")) or (
                    b"\r" in block and _LONE_CR.search(block)):
                return False
            tail = b"\r" if block.endswith(b"\r") else b""
    return not tail


def body_offset(path: Path, header_row: int) -> int:
    """The byte offset of the line after row `header_row` (a line is a row here)."""
    with path.open("rb") as handle:
        for _ in range(header_row):
            if not handle.readline():
                break
        return handle.tell()


@dataclass(slots=True)
class Block:
    """Rows of the file in columns c0…c{width-1} (raw cells, "" where a row is short) with the
    number of its first row, and the text it was parsed from (for the rare row that must be
    looked at whole: cells beyond the header's width)."""

    first: int
    frame: pl.DataFrame
    text: bytes
    delimiter: str
    end: int  # the file offset it ends at, for the progress bar
    replaced: bool  # it may hold U+FFFD (bytes invalid in its encoding, or the character)
    _lines: list[bytes] = field(default_factory=list)

    def cells(self, index: int) -> list[str]:
        """Row `index` of the block, every cell, as the csv module would give them."""
        if not self._lines:
            self._lines = self.text.split(b"\n")
        raw = self._lines[index].decode("utf-8", errors="replace")
        return raw.removesuffix("\r").split(self.delimiter)


def blocks(
    path: Path, offset: int, first: int, width: int, delimiter: str, encoding: str,
) -> Iterator[Block]:
    """The rows from byte `offset` on (row `first` is the first), a block at a time."""
    size = BLOCK
    number = first
    rest = b""
    with path.open("rb") as handle:
        handle.seek(offset)
        while True:
            data = handle.read(size)
            if data:
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest += data
                    continue
                text, rest = rest + data[: cut + 1], data[cut + 1 :]
            else:
                text, rest = rest, b""
            if not text:
                return
            if encoding not in _UTF8:
                text = text.decode(encoding, errors="replace").encode("utf-8")
            frame, lossy = parse(text, width, delimiter)
            replaced = lossy or (b"\xef" in text and "\ufffd".encode() in text)
            yield Block(number, frame, text, delimiter, handle.tell() - len(rest), replaced)
            number += frame.height


def parse(text: bytes, width: int, delimiter: str) -> tuple[pl.DataFrame, bool]:
    """Lines of `text` as rows of `width` string columns, and whether bytes invalid in UTF-8
    were replaced (strict decoding is twice as fast, so it is tried first). polars takes the
    number of fields from the first line: unless that has `width`, a line of `width` empty
    cells goes first and is dropped. Tests check a row a line (blank lines, short and long
    rows, CRLF)."""
    sep = delimiter.encode()
    padded = text[: text.find(b"\n")].count(sep) != width - 1
    if padded:
        text = sep * (width - 1) + b"\n" + text
    options: dict[str, Any] = {
        "has_header": False, "separator": delimiter, "quote_char": None,
        "schema": {f"c{i}": pl.String for i in range(width)}, "empty_string_is_null": False,
        "truncate_ragged_lines": True,
    }
    try:
        frame, lossy = pl.read_csv(text, encoding="utf8", **options), False
    except pl.exceptions.ComputeError:  # invalid UTF-8 somewhere in the block
        frame, lossy = pl.read_csv(text, encoding="utf8-lossy", **options), True
    return (frame.slice(1) if padded else frame), lossy
