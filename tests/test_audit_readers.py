"""The audit's readers: CSV in every encoding and delimiter, XLSX sheets, merged cells and
formulas, headers in three languages, and clear errors on files it cannot use."""

from __future__ import annotations

import pytest

from audit.members import MemberOptions
from audit.run import audit_members
from core.errors import CliError
from tests.audit_fixtures import MEMBER_HEADERS, member, write_csv, write_xlsx

KAZAKH_NAME = "Қасымов Әлихан Ұлықбекұлы"


def shared(n: int = 5, phone: str = "+7 701 555 44 33") -> list[list[str]]:
    rows = [member(i, phone=phone) for i in range(n)]
    rows[0][1] = KAZAKH_NAME
    return rows


def run(path, **kwargs):
    return audit_members([path], MemberOptions(), progress=False, **kwargs)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "kz1048"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_reads_csv_in_each_encoding_and_delimiter(tmp_path, encoding, delimiter):
    rows = shared()
    if encoding == "cp1251":  # cp1251 has no Kazakh letters: a Russian name instead
        rows[0][1] = "Щукин Ёжик Юрьевич"
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADERS, rows, encoding=encoding,
                     delimiter=delimiter)
    result = run(path)
    [finding] = [f for f in result.findings if f.rule == "shared_phone"]
    assert finding.refs == [2, 3, 4, 5, 6]
    assert result.records[2]["full_name"] == rows[0][1]
    assert f"m.csv: {encoding}," in result.run.notes[0]


def test_it_tells_kz1048_from_cp1251_by_the_kazakh_letters(tmp_path):
    path = write_csv(tmp_path / "m.csv", MEMBER_HEADERS, shared(), encoding="kz1048")
    result = run(path)
    assert result.records[2]["full_name"] == KAZAKH_NAME


@pytest.mark.parametrize("headers", [
    ["ЖСН", "Аты-жөні", "Телефон", "email", "Облыс", "Аудан", "БПҰ", "Кірген күні"],
    ["iin", "full_name", "phone", "email", "region", "district", "organisation", "admitted_on"],
    ["  иин ", "ф и о", "ТЕЛЕФОН", "E-mail", "РЕГИОН", "район", "Первичная партийная "
     "организация", "дата  вступления"],
])
def test_it_recognises_headers_in_kazakh_english_and_any_case_or_spacing(tmp_path, headers):
    path = write_csv(tmp_path / "m.csv", headers, shared())
    result = run(path)
    [finding] = [f for f in result.findings if f.rule == "shared_phone"]
    assert (finding.region, finding.organisations) == ("AKM", ["ППО «Береке»"])


def test_it_lists_what_it_found_and_what_it_expects_when_columns_do_not_match(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["Номер", "Человек"], [["1", "Иванов"]])
    with pytest.raises(CliError) as error:
        run(path)
    message = str(error.value)
    assert "Found: 'Номер', 'Человек'" in message
    assert "iin: ИИН, ЖСН, iin" in message


def test_it_refuses_duplicate_header_names(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["ИИН", "Телефон", "телефон"], [["1", "2", "3"]])
    with pytest.raises(CliError, match="duplicate column name 'телефон' \\(columns 2 and 3\\)"):
        run(path)


def test_it_refuses_two_columns_naming_one_field(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["ИИН", "ЖСН"], [["1", "2"]])
    with pytest.raises(CliError, match="both give iin"):
        run(path)


def test_it_counts_empty_rows_and_unreadable_dates_by_row_number(tmp_path):
    rows = shared()
    rows.insert(2, [""] * len(MEMBER_HEADERS))
    rows[3][7] = "вчера"
    result = run(write_csv(tmp_path / "m.csv", MEMBER_HEADERS, rows))
    lines = result.run.problems.lines(result.run.labels)
    assert "1 × empty row, skipped (rows 4)" in lines
    assert "1 × admission date not understood (date rules skip the row) (rows 5)" in lines


def test_it_finds_the_header_below_title_lines(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["Реестр членов партии"], [[], MEMBER_HEADERS, *shared()])
    result = run(path)
    [finding] = [f for f in result.findings if f.rule == "shared_phone"]
    assert finding.refs == [4, 5, 6, 7, 8]


def test_it_reads_the_one_xlsx_sheet_with_the_columns(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", {
        "Справка": [["Выгрузка от 01.06.2024"]],
        "Члены": [MEMBER_HEADERS, *shared()],
    })
    result = run(path)
    assert [f.rule for f in result.findings] == ["shared_phone"]
    assert "m.xlsx: sheet 'Члены'" in result.run.notes


def test_it_asks_for_a_sheet_when_several_have_the_columns(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", {"2023": [MEMBER_HEADERS], "2024": [MEMBER_HEADERS]})
    with pytest.raises(CliError, match=r"2 sheets \(2023, 2024\).*--sheet NAME"):
        run(path)
    assert run(path, sheet="2024").findings == []


def test_it_names_the_sheets_when_the_one_asked_for_is_missing(tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", {"Лист1": [MEMBER_HEADERS]})
    with pytest.raises(CliError, match="no sheet 'Sheet9'; the sheets are: Лист1"):
        run(path, sheet="Sheet9")


def test_it_fills_merged_cells_from_their_top_left_value(tmp_path):
    rows = shared()
    for row in rows[1:]:
        row[6] = None  # the organisation is written once, merged down the column
    path = write_xlsx(tmp_path / "m.xlsx", {"Члены": [MEMBER_HEADERS, *rows]},
                      merged={"Члены": ["G2:G6"]})
    result = run(path)
    assert {r["organisation"] for r in result.records.values()} == {"ППО «Береке»"}


def test_it_notes_formulas_without_a_saved_value_by_row(tmp_path):
    rows = [list(r) for r in shared()]
    rows[2][3] = '=CONCAT("a","@b.kz")'  # openpyxl saves no computed value
    path = write_xlsx(tmp_path / "m.xlsx", {"Члены": [MEMBER_HEADERS, *rows]})
    result = run(path)
    assert any("1 formula cells have no saved value (D4)" in n
               for n in result.run.notes)


def test_it_reads_xlsx_numbers_and_dates_as_a_csv_would_hold_them(tmp_path):
    import datetime as dt

    rows = [list(r) for r in shared()]
    for row in rows:
        row[0] = int(row[0])  # an IIN typed as a number (no leading zero here)
        row[7] = dt.datetime(2024, 2, 10)  # noqa: DTZ001 - a spreadsheet's dates are naive
    path = write_xlsx(tmp_path / "m.xlsx", {"Члены": [MEMBER_HEADERS, *rows]})
    result = audit_members([path], MemberOptions(suspended=[(dt.date(2024, 2, 1),
                                                             dt.date(2024, 2, 29))]),
                           progress=False)
    assert {f.rule for f in result.findings} == {"shared_phone", "suspended_admission"}


def test_it_says_which_row_has_bytes_its_encoding_cannot_read(tmp_path):
    path = tmp_path / "m.csv"
    good = "ИИН,ФИО\r\n" + "".join(f"{i:012d},Иванов Иван\r\n" for i in range(40000))
    path.write_bytes(good.encode("utf-8") + b"\xff\xfe,1\r\n")
    result = run(path)
    assert "m.csv: utf-8, delimiter ','" in result.run.notes
    assert ("1 × bytes not valid in the file's encoding (shown as �) (rows 40002)"
            in result.run.problems.lines(result.run.labels))


def test_it_refuses_an_empty_file(tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(b"")
    with pytest.raises(CliError, match="m.csv: the file is empty"):
        run(path)
