"""Importing customers in a real browser, as a manager: upload a file, read the preview, fix
nothing, confirm, and find the customers in the table."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from customers.importing import customer_import_check
from customers.models import CustomerImport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILE = (
    "Name;Phone;Village;Clusters;Send SMS\n"
    "Mwende Kioko;0712 300 400;Mwingi;Dairy farmers;Yes\n"
    "Ndunda Musyoka;+254 722 500 600;Kyuso;Maize growers;No\n"
).encode("cp1252")


def test_manager_imports_customers_from_a_spreadsheet(
    page, live_server, log_in, manager, clusters, tmp_path
):
    path = tmp_path / "paper-book.csv"
    path.write_bytes(FILE)
    log_in(manager)
    page.get_by_role("link", name="Customers", exact=True).click()
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import customers")).to_be_visible()

    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_test_id("import-counts")).to_have_text(
        "2 rows: 2 new, 0 to update, 0 unchanged, 0 refused."
    )
    expect(page.get_by_text("Read as separated by semicolons.")).to_be_visible()
    expect(page.get_by_test_id("import-rows").locator("tbody tr")).to_have_count(2)
    page.screenshot(path="/tmp/import-preview.png", full_page=True)

    page.get_by_role("button", name="Import: write 2 rows").click()
    expect(page.get_by_test_id("import-done")).to_contain_text(
        "Imported: 2 new, 0 updated, 0 unchanged."
    )
    page.get_by_role("link", name="Open the customer list").click()
    names = page.locator("table tbody tr td:first-child")
    expect(names).to_have_text(["Mwende Kioko", "Ndunda Musyoka"])


def test_the_preview_page_follows_the_background_check(
    page, live_server, log_in, manager, clusters, tmp_path, settings
):
    """With a real queue the rows are checked by the worker: the page shows it waiting, then
    reloads itself into the preview once the job has run."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    path = tmp_path / "paper-book.csv"
    path.write_bytes(FILE)
    log_in(manager)
    page.goto(f"{live_server.url}{reverse('customers:customer_import')}")
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_test_id("import-progress")).to_contain_text("Checking every row.")
    expect(page.get_by_test_id("import-progress")).to_contain_text(
        "Waiting for the background worker to start."
    )

    customer_import_check(CustomerImport.objects.get().pk)  # what the worker does
    expect(page.get_by_test_id("import-counts")).to_have_text(
        "2 rows: 2 new, 0 to update, 0 unchanged, 0 refused.", timeout=10_000
    )
    expect(page.get_by_test_id("import-progress")).to_have_count(0)


def test_manager_imports_a_price_list(page, live_server, log_in, manager, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes(
        b"Code;Name;Retail price;Wholesale price;On sale\n"
        b"dap-50;DAP fertiliser 50 kg;4,200;3,950;Yes\n"
        b"PANGA;Panga;350;320;\n"
    )
    log_in(manager)
    page.goto(f"{live_server.url}{reverse('sales:product_list')}")
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", name="Import products")).to_be_visible()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_test_id("import-counts")).to_have_text(
        "2 rows: 2 new, 0 to update, 0 unchanged, 0 refused."
    )
    expect(page.get_by_test_id("import-rows")).to_contain_text("New product")

    page.get_by_role("button", name="Import: write 2 rows").click()
    expect(page.get_by_test_id("import-done")).to_contain_text("Imported: 2 new")
    page.get_by_role("link", name="Open the product list").click()
    expect(page.get_by_role("cell", name="DAP fertiliser 50 kg")).to_be_visible()
