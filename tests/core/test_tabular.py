"""Reading uploaded spreadsheets (core.tabular): the encodings, separators and Excel files shops
bring, and a clear message for everything that is not one."""

import codecs
import io
import os
from datetime import datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.tabular import MAX_UPLOAD_BYTES, UnreadableFile, read_sheet

HEADER = "Name,Phone,Village"


def upload(content: bytes, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def rows_of(sheet) -> list[tuple[int, dict]]:
    return list(sheet.numbered_rows())


def test_plain_utf8_csv():
    sheet = read_sheet(upload(f"{HEADER}\nAmina Wanjiru,0712 345 678,Mwingi\n".encode()))
    assert sheet.headers == ["Name", "Phone", "Village"]
    assert rows_of(sheet) == [
        (2, {"Name": "Amina Wanjiru", "Phone": "0712 345 678", "Village": "Mwingi"})
    ]
    assert sheet.encoding == "UTF-8" and sheet.notes == []


def test_utf8_with_the_byte_order_mark_excel_writes():
    content = codecs.BOM_UTF8 + f"{HEADER}\nZoë Muthoni,0712345678,Kyuso\n".encode()
    sheet = read_sheet(upload(content))
    assert sheet.headers[0] == "Name"  # not "\ufeffName"
    assert rows_of(sheet)[0][1]["Name"] == "Zoë Muthoni"
    assert sheet.encoding == "UTF-8 (BOM)"


def test_windows_latin1():
    content = f"{HEADER}\nRenée Akinyi,0712345678,Migwani\n".encode("cp1252")
    sheet = read_sheet(upload(content))
    assert rows_of(sheet)[0][1]["Name"] == "Renée Akinyi"
    assert sheet.encoding == "Windows Latin-1"
    assert "Read as Windows Latin-1 text." in sheet.notes


def test_utf16_unicode_text_from_excel():
    content = "Name\tPhone\nAbdi Hassan\t0712345678\n".encode("utf-16")
    sheet = read_sheet(upload(content))
    assert rows_of(sheet) == [(2, {"Name": "Abdi Hassan", "Phone": "0712345678"})]
    assert sheet.delimiter == "\t"


@pytest.mark.parametrize(("delimiter", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_semicolons_and_tabs_instead_of_commas(delimiter, word):
    text = f"Name{delimiter}Phone{delimiter}Notes\nAmina{delimiter}0712345678{delimiter}a, b\n"
    sheet = read_sheet(upload(text.encode()))
    assert rows_of(sheet) == [(2, {"Name": "Amina", "Phone": "0712345678", "Notes": "a, b"})]
    assert f"Read as separated by {word}." in sheet.notes


def test_quoted_cells_keep_separators_and_line_breaks():
    text = 'Name,Address\r\n"Kamau, John","Box 12\r\nMwingi"\r\n'
    sheet = read_sheet(upload(text.encode()))
    assert rows_of(sheet) == [(2, {"Name": "Kamau, John", "Address": "Box 12\r\nMwingi"})]


def test_blank_rows_are_skipped_but_row_numbers_stay_as_in_excel():
    text = f"{HEADER}\nA,0712345678,X\n,,\n\nB,0712345679,Y\n,,\n"
    sheet = read_sheet(upload(text.encode()))
    assert [number for number, _cells in rows_of(sheet)] == [2, 5]
    assert sheet.blank_rows_skipped == 3


def test_short_rows_are_padded_and_cells_trimmed():
    sheet = read_sheet(upload(f"{HEADER}\n  Amina  ,0712345678\n".encode()))
    assert rows_of(sheet) == [(2, {"Name": "Amina", "Phone": "0712345678", "Village": ""})]


def test_formulas_come_back_as_typed_for_the_import_to_refuse():
    sheet = read_sheet(upload(f'{HEADER}\n=HYPERLINK("x"),0712345678,Mwingi\n'.encode()))
    assert rows_of(sheet)[0][1]["Name"] == '=HYPERLINK("x")'


def test_an_excel_workbook():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Phone", "Total spent", "First visit", "Notes", None])
    sheet.append(["Amina", 712345678, 1500.5, datetime(2024, 3, 1), "=1+1", None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Baraka", "0712345679", 200.0, datetime(2024, 3, 2, 14, 30), None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = read_sheet(upload(buffer.getvalue(), "customers.xlsx"))
    assert read.headers == ["Name", "Phone", "Total spent", "First visit", "Notes"]
    assert rows_of(read) == [
        (
            2,
            {
                "Name": "Amina",
                "Phone": "712345678",
                "Total spent": "1500.5",
                "First visit": "2024-03-01",
                "Notes": "=1+1",
            },
        ),
        (
            4,
            {
                "Name": "Baraka",
                "Phone": "0712345679",
                "Total spent": "200",
                "First visit": "2024-03-02 14:30",
                "Notes": "",
            },
        ),
    ]
    assert read.encoding == "Excel workbook"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"  \r\n\n ", "The file is empty"),
        (f"{HEADER}\n".encode(), "header row but no rows under it"),
        (f"{HEADER}\n,,\n\n".encode(), "header row but no rows under it"),
        (b",,\nAmina,0712345678,X\n", "The first row is empty"),
        (b"Name,Phone,name\nA,1,2\n", "The column \u201cname\u201d appears twice"),
        (os.urandom(200_000), "does not look like a spreadsheet"),
        (b"PK\x03\x04" + os.urandom(5000), "cannot be opened"),
    ],
    ids=[
        "empty",
        "blank",
        "header only",
        "header and blank rows",
        "no header",
        "column twice",
        "random bytes",
        "broken xlsx",
    ],
)
def test_what_cannot_be_read_says_why(content, message):
    with pytest.raises(UnreadableFile, match=message):
        read_sheet(upload(content))


def test_ten_megabytes_of_garbage_is_refused_without_reading_it_all():
    garbage = upload(os.urandom(MAX_UPLOAD_BYTES + 1))
    with pytest.raises(UnreadableFile, match="largest that can be imported is 10 MB"):
        read_sheet(garbage)
    just_under = upload(os.urandom(MAX_UPLOAD_BYTES))
    with pytest.raises(UnreadableFile, match="does not look like a spreadsheet"):
        read_sheet(just_under)
