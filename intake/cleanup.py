"""Text cleanup: HTML to text, whitespace, and the new text split from quoted history."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

MAX_TEXT_CHARS = 200_000  # analysis looks at this much; the raw text is stored whole

_BLOCK_TAGS = "p,div,br,li,tr,h1,h2,h3,h4,h5,h6,blockquote,pre,table,ul,ol"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")

# Lines that open quoted history in replies from common clients, in ru/kk/en.
_QUOTE_HEADERS = re.compile(
    r"^(?:"
    r"-{2,}\s*(?:original message|исходное сообщение|пересылаемое сообщение|forwarded message)"
    r"|on .{3,200} wrote:\s*$"
    r"|.{0,120}\d{1,2}[./:]\d{1,2}.{0,80}(?:писал|написал|пишет|wrote|жазды)\(?а?\)?:\s*$"
    r"|(?:from|от|кімнен):\s.+\n(?:sent|отправлено|date|дата):"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(
    r"^(?:-- ?$|__+$|(?:sent from my|отправлено с|отправлено из|с уважением|құрметпен)\b.*$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str  # the new text, for analysis and display
    quoted: str  # quoted history and signature, kept apart


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment; scripts, styles and comments dropped."""
    tree = LexborHTMLParser(html)
    for node in tree.css("script,style,noscript,head,template"):
        node.decompose()
    for node in tree.css(_BLOCK_TAGS):
        node.insert_after("\n")
    root = tree.body or tree.root
    return root.text(separator="", strip=False) if root is not None else ""


def normalise_whitespace(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def split_quoted(text: str) -> CleanText:
    """Separate what the writer wrote now from quoted replies (`>`) and a signature."""
    cut = len(text)
    header = _QUOTE_HEADERS.search(text)
    if header:
        cut = header.start()
    lines = text[:cut].split("\n")
    # A block of '>' lines at the end is quoted history; '>' lines in the middle stay.
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    new = "\n".join(lines)
    signature = _SIGNATURE.search(new)
    if signature and signature.start() > 0:
        new = new[: signature.start()]
    new = new.strip()
    if not new:  # everything looked quoted: better to analyse all than nothing
        return CleanText(text=text.strip(), quoted="")
    return CleanText(text=new, quoted=text[len(new) :].strip() if text.startswith(new) else "")


def clean(text: str = "", html: str | None = None) -> CleanText:
    body = text if text.strip() or not html else html_to_text(html)
    return split_quoted(normalise_whitespace(body[:MAX_TEXT_CHARS]))
