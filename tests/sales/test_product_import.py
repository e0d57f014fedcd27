"""Importing the price list (sales.importing): matched by code, every row or none, each refusal
by row and column, history kept; and its pages (the shared import pages)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.importing import MissingColumns
from core.tabular import read_sheet
from sales.importing import product_import
from sales.models import Product, ProductImport
from tests.factories import make_product

pytestmark = pytest.mark.django_db

HEADER = "Code,Name,Retail price,Wholesale price,On sale"


def sheet_of(*lines: str, header: str = HEADER):
    return read_sheet(SimpleUploadedFile("prices.csv", "\n".join([header, *lines]).encode()))


def run(sheet, manager, *, confirm=True):
    return product_import(sheet, actor=manager, confirm=confirm)


PRICE_LIST = (
    'dap-50,DAP fertiliser 50 kg,"4,200","3,950",Yes',
    "SEED-H614,H614 maize seed 2 kg,KES 650,600,",
    "PANGA,Panga,350,320,No",
)


def test_the_preview_writes_nothing_and_the_import_writes_every_row_with_history(manager):
    preview = run(sheet_of(*PRICE_LIST), manager, confirm=False)
    assert [(row.number, row.action, row.key) for row in preview.rows] == [
        (2, "new", "dap-50"),
        (3, "new", "SEED-H614"),
        (4, "new", "PANGA"),
    ]
    assert not preview.written and not Product.objects.exists()

    report = run(sheet_of(*PRICE_LIST), manager)
    assert report.written and report.count("new") == 3
    dap = Product.objects.get(code="DAP-50")  # upper-cased, as the till's scanner types it
    assert (dap.name, dap.retail_price, dap.wholesale_price, dap.is_active) == (
        "DAP fertiliser 50 kg",
        Decimal("4200.00"),
        Decimal("3950.00"),
        True,
    )
    assert Product.objects.get(code="SEED-H614").is_active  # empty On sale: on sale
    assert not Product.objects.get(code="PANGA").is_active
    (record,) = dap.history.all()
    assert (record.history_type, record.history_user, record.retail_price) == (
        "+",
        manager,
        Decimal("4200.00"),
    )


def test_existing_products_are_matched_by_code_and_a_second_import_changes_nothing(manager):
    panga = make_product(code="PANGA", name="Old panga", retail_price="300", is_active=True)
    report = run(sheet_of(*PRICE_LIST), manager)
    assert [row.action for row in report.rows] == ["new", "new", "update"]
    panga.refresh_from_db()
    assert (panga.name, panga.retail_price, panga.is_active) == ("Panga", Decimal("350"), False)
    assert panga.history.first().history_type == "~"
    assert panga.history.first().history_user == manager

    again = run(sheet_of(*PRICE_LIST), manager)
    assert again.written and [row.action for row in again.rows] == ["unchanged"] * 3
    assert panga.history.count() == 2  # nothing new for an unchanged row


def test_an_empty_on_sale_cell_leaves_a_product_as_it_is(manager):
    make_product(code="PANGA", retail_price="350", wholesale_price="320", is_active=False)
    report = run(sheet_of("PANGA,Panga,400,320,"), manager)
    assert report.count("update") == 1
    assert not Product.objects.get(code="PANGA").is_active


def test_a_bad_last_row_writes_nothing(manager):
    lines = [f"CODE{n},Product {n},100,90,Yes" for n in range(1, 300)] + ["CODE300,Last,lots,90,"]
    report = run(sheet_of(*lines), manager)
    assert not report.written and not Product.objects.exists()
    assert [(row.number, row.errors) for row in report.errors] == [
        (301, [("Retail price", "Write an amount in shillings, not “lots”.")])
    ]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (",DAP,100,90,", "Code", "The code is missing"),
        ("DAP,,100,90,", "Name", "The product's name is missing."),
        ("DAP,DAP,,90,", "Retail price", "The price is missing."),
        ("DAP,DAP,100,-5,", "Wholesale price", "An amount cannot be below zero."),
        ("DAP,DAP,100,90,maybe", "On sale", "Write Yes or No, not “maybe”."),
        ("DAP,=HYPERLINK(1),100,90,", "Name", "spreadsheet formula"),
    ],
)
def test_each_refusal_names_its_row_and_column(manager, line, column, message):
    (row,) = run(sheet_of(line), manager).errors
    assert row.number == 2
    assert any(error_column == column and message in text for error_column, text in row.errors)


def test_the_same_code_twice_names_the_first_row(manager):
    report = run(sheet_of("DAP,DAP,100,90,", "dap,DAP again,100,90,"), manager)
    assert [(row.number, row.errors) for row in report.errors] == [
        (3, [("Code", "The same code as row 2 of this file.")])
    ]


def test_a_file_without_a_price_column_is_refused(manager):
    with pytest.raises(MissingColumns, match="no “Wholesale price” column"):
        run(sheet_of("DAP,DAP,100", header="Code,Name,Retail price"), manager)


# --- the pages ---------------------------------------------------------------------------------


def test_upload_preview_confirm_and_the_record(client, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("prices.csv", "\n".join([HEADER, *PRICE_LIST]).encode())
    response = client.post(reverse("sales:product_import"), {"file": upload})
    record = ProductImport.objects.get()
    assert response.url == record.get_absolute_url()
    page = client.get(record.get_absolute_url()).content.decode()
    assert "3 rows: 3 new, 0 to update, 0 unchanged, 0 refused." in page
    assert "New product" in page and "SEED-H614" in page

    response = client.post(reverse("sales:product_import_confirm", args=[record.pk]), follow=True)
    assert "Imported: 3 new, 0 updated, 0 unchanged." in response.content.decode()
    assert Product.objects.count() == 3
    record.refresh_from_db()
    assert (record.status, record.imported_by, record.content) == ("imported", manager, b"")
    listed = client.get(reverse("sales:product_import")).content.decode()
    assert "prices.csv" in listed and "Imported" in listed


def test_a_file_that_cannot_be_imported_says_why_on_the_upload_page(client, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("prices.csv", b"Code,Name\nDAP,DAP\n")
    response = client.post(reverse("sales:product_import"), {"file": upload})
    assert response.status_code == 200
    assert "no “Retail price” or “Wholesale price” column" in response.content.decode()
    assert not ProductImport.objects.exists()


def test_the_template_downloads_with_our_columns(client, manager):
    client.force_login(manager)
    response = client.get(reverse("sales:product_import_template"))
    content = response.content.decode("utf-8-sig")
    assert content.splitlines()[0] == HEADER
    assert run(read_sheet(SimpleUploadedFile("t.csv", response.content)), manager).written


@pytest.mark.parametrize("name", ["sales:product_import", "sales:product_import_template"])
def test_only_managers_import_products(client, cashier, manager, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(cashier)
    assert client.get(reverse(name)).status_code == 403
    client.force_login(manager)
    assert client.get(reverse(name)).status_code == 200
