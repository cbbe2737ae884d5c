"""Text cleanup: HTML to text, whitespace, and the new text split from quoted history.

What a citizen wrote now is analysed; the history their mail client quoted below it (Gmail,
Outlook, Apple Mail, Thunderbird, Yandex and Mail.ru styles in Russian, Kazakh and English) and
their signature are kept apart in `CleanText.quoted`. The raw message is stored elsewhere whole.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

MAX_TEXT_CHARS = 200_000  # analysis looks at this much; the raw text is stored whole
SIGNATURE_MAX_LINES = 8  # a signature is a short block at the end, not half of the message

_BLOCK_TAGS = "p,div,br,li,tr,h1,h2,h3,h4,h5,h6,blockquote,pre,table,ul,ol,hr"
_DROPPED_TAGS = "script,style,noscript,head,template,title,svg,object,iframe"
# Containers mail clients wrap quoted history in.
_QUOTE_TAGS = "blockquote,div.gmail_quote,div.yahoo_quoted,div.moz-cite-prefix,div#divRplyFwdMsg"
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")

_QUOTE_HEADERS = re.compile(
    r"^(?:"
    # ---- Original message ---- / Forwarded message / Kazakh clients
    r"[-_=]{2,}\s*(?:original message|forwarded message|исходное сообщение|пересылаемое "
    r"сообщение|переадресованное сообщение|бастапқы хабарлама|жіберілген хабарлама|қайта "
    r"жіберілген хабарлама)"
    # Gmail/Apple (en): On Mon, 3 Mar 2025 at 10:15, Name <a@b.kz> wrote:
    r"|on\s[^\n]{3,200}(?:\n[^\n]{0,100})?\swrote:\s*$"
    # Thunderbird/Outlook (ru, kk): 03.03.2025 10:15, Имя пишет: / ... жазды:
    r"|[^\n]{0,120}\d{1,2}[./:]\d{1,2}[^\n]{0,120}(?:писал|написал|пишет|wrote|жазды|жазған)"
    r"\(?а?\)?:\s*$"
    # Gmail (ru, kk), Yandex, Mail.ru: a line with a year and an <address>, ending in a colon
    r"|[^\n]{0,100}\d{4}[^\n]{0,100}<[^<>\s@]+@[^<>\s]+>\s*:\s*$"
    # Outlook: From: … / Sent: … (ru, kk, en)
    r"|(?:from|от|кімнен|жіберуші):\s[^\n]+\n(?:sent|date|отправлено|дата|жіберілді|күні):"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(
    r"^(?:-- ?$|__+\s*$|—{2,}\s*$"
    r"|(?:sent from|get outlook for|отправлено (?:с|из)|получено с)\b.*$"
    r"|\S*(?:iphone|ipad|android|samsung|xiaomi)\S*\s+(?:құрылғысынан\s+)?жіберілді\s*$"
    r"|(?:с уважением|с наилучшими пожеланиями|всего доброго|best regards|kind regards"
    r"|regards|sincerely|құрметпен|ізгі тілекпен)\b.*$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str  # the new text, for analysis and display
    quoted: str  # quoted history and signature, kept apart


def _quote_block(text: str) -> str:
    lines = [line.strip() for line in text.split("\n")]
    return "\n" + "\n".join(f"> {line}" for line in lines if line) + "\n"


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment: scripts, styles and comments dropped, block elements
    on their own lines, quoted history (blockquote, Gmail's quote div) as `> ` lines."""
    tree = LexborHTMLParser(html)
    for node in tree.css(_DROPPED_TAGS):
        node.decompose()
    for node in tree.css(_BLOCK_TAGS):
        node.insert_after("\n")
    quotes = tree.css(_QUOTE_TAGS)
    for node in quotes:
        if not any(other is not node and _contains(other, node) for other in quotes):
            node.replace_with(_quote_block(node.text(separator="", strip=False)))
    root = tree.body or tree.root
    return root.text(separator="", strip=False) if root is not None else ""


def _contains(outer: object, inner: object) -> bool:
    node = getattr(inner, "parent", None)
    while node is not None:
        if node == outer:
            return True
        node = node.parent
    return False


def normalise_whitespace(text: str) -> str:
    """NFC, one kind of line break, no control characters, single spaces, ≤ 1 blank line."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text.replace("\r\n", "\n")))
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _signature_start(text: str) -> int | None:
    for match in _SIGNATURE.finditer(text):
        if match.start() == 0:
            continue
        if text[match.start() :].count("\n") <= SIGNATURE_MAX_LINES:
            return match.start()
    return None


def split_quoted(text: str) -> CleanText:
    """Separate what the writer wrote now from quoted replies (`>`) and a signature."""
    header = _QUOTE_HEADERS.search(text)
    cut = header.start() if header else len(text)
    lines = text[:cut].split("\n")
    # A block of '>' lines at the end is quoted history; '>' lines in the middle stay.
    while lines and (lines[-1].startswith(">") or not lines[-1].strip()):
        lines.pop()
    new = "\n".join(lines)
    signature = _signature_start(new)
    if signature is not None:
        new = new[:signature]
    new = new.rstrip()
    if not new.strip():  # everything looked quoted: better to analyse all than nothing
        return CleanText(text=text.strip(), quoted="")
    return CleanText(text=new.strip(), quoted=text[len(new) :].strip())


def clean(text: str = "", html: str | None = None) -> CleanText:
    """The new text of a message given as plain text, or as HTML when the text is empty."""
    body = text if text.strip() or not html else html_to_text(html[: MAX_TEXT_CHARS * 5])
    return split_quoted(normalise_whitespace(body[:MAX_TEXT_CHARS]))
