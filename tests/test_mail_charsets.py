"""Mislabelled Cyrillic mail (issue 12, item 4): whatever the label says (the right charset,
utf-8, nothing, another table), Russian and Kazakh text comes out as written, in each encoding
such mail really uses, with the letters that encoding can carry."""

from __future__ import annotations

import pytest

from intake.region import detect_region
from mail_ingest.charsets import decode_bytes
from mail_ingest.cyrillic import judge
from mail_ingest.parser import parse_email

RU = "Жалоба: в Темиртау на собрании заставляли вступать в партию, угрожали увольнением."
KK = (
    "Теміртаудағы жиналыста бізді партияға зорлап кіргізді, жұмыстан шығарамыз деп қорқытты. "
    "Әкімдікке ең алдымен өтініш бердік, үндемейді. Һ әрпі де бар."
)
# What writers put for the Kazakh letters a table cannot carry (ә → а, қ → к, і → и or i...).
STAND_INS = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноууhiАГКНОУУHI")
ENCODINGS = ["utf-8", "cp1251", "koi8_r", "kz1048", "cp866", "iso8859_5", "mac_cyrillic"]
WRONG = {"cp1251": "koi8-r", "koi8_r": "windows-1251", "utf-8": "windows-1251"}
LABELS = ["own", "utf-8", None, "wrong", "iso-8859-1"]


def carried(text: str, encoding: str) -> str:
    """The text as it can be written in `encoding`: Kazakh letters it lacks replaced."""
    out = "".join(c if c.encode(encoding, "ignore") else c.translate(STAND_INS) for c in text)
    out.encode(encoding)
    return out


def label_for(label: str | None, encoding: str) -> str | None:
    if label == "own":
        return encoding.replace("_", "-")
    if label == "wrong":
        return WRONG.get(encoding, "windows-1251")
    return label


@pytest.mark.parametrize("label", LABELS, ids=[str(label) for label in LABELS])
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("text", [RU, KK], ids=["ru", "kk"])
def test_it_reads_the_text_under_any_label(text: str, encoding: str, label: str | None) -> None:
    written = carried(text, encoding)
    decoded = decode_bytes(written.encode(encoding), label_for(label, encoding))
    assert decoded.text == written, decoded.charset


@pytest.mark.parametrize("encoding", ["utf-8", "kz1048"])
def test_it_keeps_every_kazakh_letter_where_the_encoding_has_them(encoding: str) -> None:
    decoded = decode_bytes(KK.encode(encoding), None)
    assert set("әғқңөұүһі") <= set(decoded.text.lower())


@pytest.mark.parametrize("encoding", ["cp1251", "iso8859_5", "mac_cyrillic"])
def test_it_keeps_the_kazakh_i_in_tables_that_have_it(encoding: str) -> None:
    assert carried(KK, encoding).count("і") == KK.count("і")
    assert decode_bytes(carried(KK, encoding).encode(encoding), "utf-8").text.count("і") > 0


def test_it_tells_that_the_label_was_wrong() -> None:
    decoded = decode_bytes(RU.encode("cp1251"), "utf-8")
    assert decoded.charset == "cp1251" and decoded.note == "labelled utf-8, decoded as cp1251"


def test_temirtau_in_cp1251_labelled_utf8_keeps_its_region() -> None:
    body = "Здравствуйте. В городе «Темиртау» на заводе заставляют вступать в партию.\r\n"
    raw = (
        b"From: citizen@mail.kz\r\nTo: hotline@localhost\r\nSubject: x\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body.encode("cp1251")
    )
    text = parse_email(raw).report.text
    assert "«Темиртау»" in text and "“емиртау" not in text
    assert detect_region(text).region == "KAR"


@pytest.mark.parametrize(
    ("text", "encoding", "label"),
    [
        ("Écoutez, ça a été très difficile à comprendre. Déjà vu, n'est-ce pas?", "cp1252", "iso-8859-1"),
        ("Sehr geehrte Damen und Herren, für Ihre Rückmeldung wären wir dankbar.", "cp1252", "windows-1252"),
        ("Dzień dobry, proszę o szybką odpowiedź. Zażółć gęślą jaźń.", "cp1250", "windows-1250"),
        ("Prijs: 5 €, totaal 20 € — “dank u” — café", "cp1252", "windows-1252"),
    ],
)  # fmt: skip
def test_it_leaves_western_text_in_its_declared_charset(text, encoding, label) -> None:
    assert decode_bytes(text.encode(encoding), label).text == text


def test_it_takes_a_case_inverting_table_for_what_it_is() -> None:
    assert judge("фЕМИРТАУ пАРТИЯ").penalty > 0
    assert judge("ТОО-ның ЦИКе КазМунайГаз Нұр-Сұлтан").penalty == 0


def test_it_prefers_frequent_letters_to_valid_but_rare_ones() -> None:
    # An all-lowercase koi8-r text read as cp1251 is all capitals, every letter valid.
    right = "в караганде на праймериз покупали голоса"
    wrong = right.encode("koi8_r").decode("cp1251")
    assert judge(wrong).penalty == 0 and judge(right).score > judge(wrong).score
