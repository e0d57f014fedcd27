"""The customer back office walked in a real browser, as a manager and as a cashier."""

import csv
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def read_download(download) -> list[list[str]]:
    with open(download.path(), newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def table_names(page) -> list[str]:
    return page.locator("table tbody tr td:first-child").all_inner_texts()


def test_manager_walks_the_customer_back_office(
    page, live_server, log_in, manager, make_customer, clusters
):
    dairy, maize = clusters
    make_customer(name="Wanjiku Dairy SMS", phone="+254712345678", clusters=[dairy], send_sms=True)
    make_customer(name="Kamau Dairy Quiet", phone="+254712000222", clusters=[dairy])
    make_customer(name="Otieno Maize SMS", phone="+254733000111", clusters=[maize], send_sms=True)
    log_in(manager)
    # A manager's home is the dashboard; the customers are one click away.
    page.get_by_role("link", name="Customers", exact=True).click()

    # Filter by cluster and Send SMS.
    page.get_by_label("Cluster").select_option(label="Dairy farmers")
    page.get_by_label("Send SMS").select_option(label="Send SMS only")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    assert table_names(page) == ["Wanjiku Dairy SMS"]

    # Search by a phone typed differently from how it is stored.
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Search").fill("0712 345 678")
    page.get_by_role("button", name="Filter").click()
    assert table_names(page) == ["Wanjiku Dairy SMS"]

    # Add a customer with the floating "+".
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Mwende Musyoka")
    page.get_by_label("Phone").fill("0722 555 666")
    page.get_by_label("Village").fill("Mwingi")
    page.get_by_label("Tax PIN").fill("a123456789z")
    page.get_by_label("Maize growers").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Mwende Musyoka")).to_be_visible()
    expect(page.get_by_test_id("customer-phone")).to_have_text("+254722555666")
    new_customer = Customer.objects.get(name="Mwende Musyoka")

    # Be refused a duplicate phone, with a link to whoever has it.
    page.goto(f"{live_server.url}/customers/add/")
    page.get_by_label("Name").fill("Someone Else")
    page.get_by_label("Phone").fill("+254 722 555 666")
    page.get_by_label("Village").fill("Kitui")
    page.get_by_label("Tax PIN").fill("A111111111B")
    page.get_by_label("Dairy farmers").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_text("This phone number already belongs to")).to_be_visible()
    page.get_by_role("link", name="Mwende Musyoka").click()
    expect(page).to_have_url(f"{live_server.url}{new_customer.get_absolute_url()}")
    assert Customer.objects.filter(phone="+254722555666").count() == 1

    # Edit: turn Send SMS on and change the village.
    page.get_by_role("link", name="Edit Customer").click()
    page.get_by_label("Village").fill("Kitui")
    page.get_by_label("Send SMS").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Customer Mwende Musyoka saved.")).to_be_visible()
    expect(page.get_by_test_id("history")).to_contain_text("Mwingi → Kitui")
    new_customer.refresh_from_db()
    assert new_customer.send_sms and new_customer.village == "Kitui"

    # Download both exports and check their rows.
    page.goto(f"{live_server.url}/customers/?cluster={dairy.pk}&sort=name")
    with page.expect_download() as table_download:
        page.get_by_role("link", name="Export to CSV").click()
    table_rows = read_download(table_download.value)
    assert table_rows[0][:3] == ["Name", "Phone", "Last Cashier Name"]
    assert [row[0] for row in table_rows[1:]] == ["Kamau Dairy Quiet", "Wanjiku Dairy SMS"]
    with page.expect_download() as sms_download:
        page.get_by_role("link", name="Export to SMS Upload").click()
    assert read_download(sms_download.value) == [
        ["Phone", "Name"],
        ["+254722555666", "Mwende Musyoka"],
        ["+254733000111", "Otieno Maize SMS"],
        ["+254712345678", "Wanjiku Dairy SMS"],
    ]

    # Delete.
    page.goto(f"{live_server.url}{new_customer.get_absolute_url()}")
    page.get_by_role("link", name="Delete Customer").click()
    page.get_by_role("button", name="Delete permanently").click()
    expect(page.get_by_text("Customer Mwende Musyoka deleted.")).to_be_visible()
    assert not Customer.objects.filter(pk=new_customer.pk).exists()


def test_a_row_opens_the_customer(page, live_server, log_in, manager, make_customer):
    customer = make_customer(name="Chebet Row Click")
    log_in(manager)
    page.get_by_role("link", name="Customers", exact=True).click()
    page.locator("table tbody tr", has_text="Chebet Row Click").locator("td").nth(2).click()
    expect(page).to_have_url(f"{live_server.url}{customer.get_absolute_url()}")


def test_cashier_is_refused_the_delete_and_the_exports(
    page, live_server, log_in, cashier, make_customer
):
    customer = make_customer(name="Akinyi Protected", credit_limit=Decimal("0"))
    log_in(cashier)
    page.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("link", name="Export to CSV")).to_have_count(0)
    expect(page.get_by_role("link", name="Export to SMS Upload")).to_have_count(0)
    page.get_by_role("link", name="Akinyi Protected").click()
    expect(page.get_by_role("link", name="Delete Customer")).to_have_count(0)

    for path in (
        f"/customers/{customer.pk}/delete/",
        "/customers/export/csv/",
        "/customers/export/sms/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert Customer.objects.filter(pk=customer.pk).exists()


def page_link(page, name: str, test_id: str):
    """A table's page link by what it says ("Last", not the "Last Visit" column)."""
    return page.get_by_role("link", name=name).and_(page.get_by_test_id(test_id))


def test_pages_of_the_customer_table_follow_next_last_and_previous(
    page, live_server, log_in, manager, make_customer
):
    for number in range(5):
        make_customer(name=f"Customer {number}")
    log_in(manager)
    page.goto(f"{live_server.url}/customers/?per_page=2&sort=-name")
    assert table_names(page) == ["Customer 4", "Customer 3"]
    expect(page.get_by_test_id("previous-page")).to_have_count(0)
    page_link(page, "Next", "next-page").click()
    assert table_names(page) == ["Customer 2", "Customer 1"]
    page_link(page, "Last", "last-page").click()
    assert table_names(page) == ["Customer 1", "Customer 0"]
    expect(page.get_by_test_id("next-page")).to_have_count(0)
    page_link(page, "Previous", "previous-page").click()
    assert table_names(page) == ["Customer 3", "Customer 2"]
    page_link(page, "First", "first-page").click()
    assert table_names(page) == ["Customer 4", "Customer 3"]
    # The sort and page size stay on every link.
    assert "sort=-name" in page.url and "per_page=2" in page.url
