"""The till walked in a real browser, as a cashier: keyboard, scanner and htmx swaps."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from sales.models import Sale
from tests.browser.till import scan
from tests.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shelf(db):
    return {
        "dap": make_product(name="DAP fertiliser 50 kg", code="6161101230011", retail_price="3500"),
        "seed": make_product(
            name="H614D maize seed 2 kg", code="6161100450013", retail_price="560"
        ),
    }


@pytest.fixture
def at_till(page, live_server, log_in, cashier):
    log_in(cashier)
    # A cashier's home is the till.
    expect(page).to_have_url(f"{live_server.url}/till/")
    return page


def test_walk_in_pays_cash_and_gets_change(at_till, shelf):
    page = at_till
    scan(page, "6161101230011")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    page.get_by_label("Quantity of DAP fertiliser 50 kg").fill("2")
    page.get_by_label("Quantity of DAP fertiliser 50 kg").press("Tab")
    expect(page.get_by_test_id("till-total")).to_have_text("KES 7,000.00")
    scan(page, "6161100450013")
    expect(page.get_by_test_id("till-total")).to_have_text("KES 7,560.00")
    expect(page.get_by_test_id("walk-in")).to_be_visible()

    tendered = page.get_by_label("Cash tendered (KES)")
    tendered.fill("8000")
    expect(page.get_by_test_id("change-due")).to_have_text("KES 440.00")
    tendered.press("Enter")

    expect(page.get_by_test_id("receipt-change")).to_contain_text("440.00")
    sale = Sale.objects.get()
    assert (sale.customer, sale.total, sale.payment.change_due) == (
        None,
        Decimal("7560.00"),
        Decimal("440.00"),
    )


def test_sell_to_a_customer_added_on_the_fly(at_till, shelf):
    page = at_till
    scan(page, "6161100450013")
    page.get_by_text("Add Customer").click()
    page.get_by_label("Name", exact=True).fill("Ndinda Kioko")
    page.get_by_label("Phone", exact=True).fill("0733 123 456")
    page.get_by_role("button", name="Add and choose").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Ndinda Kioko")
    expect(page.get_by_test_id("customer-available")).to_have_text("KES 0.00")

    page.get_by_label("Cash tendered (KES)").fill("560")
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("receipt-customer")).to_have_text("Ndinda Kioko")
    customer = Customer.objects.get(phone="+254733123456")
    assert (customer.name, customer.total_visits) == ("Ndinda Kioko", 1)
    assert Sale.objects.get().customer == customer


def test_credit_within_the_limit_shows_the_new_balance_on_the_receipt(
    at_till, shelf, make_customer
):
    page = at_till
    make_customer(name="Mutua Musyoka", phone="+254712345678", credit_limit=Decimal("10000"))
    scan(page, "6161101230011")
    # Found by a phone typed the way people say it.
    page.get_by_label("Find a customer by name or phone").fill("0712 345 678")
    page.get_by_role("button", name="Mutua Musyoka").click()
    expect(page.get_by_test_id("customer-available")).to_have_text("KES 10,000.00")

    page.get_by_text("Credit", exact=True).click()
    expect(page.get_by_test_id("credit-section")).to_contain_text("will be added")
    page.get_by_test_id("complete-sale").click()

    expect(page.get_by_test_id("receipt-credit-amount")).to_contain_text("3,500.00")
    expect(page.get_by_test_id("receipt-balance-after")).to_contain_text("3,500.00")
    assert Customer.objects.get(name="Mutua Musyoka").credit_balance == Decimal("3500.00")


def test_credit_over_the_limit_is_refused_before_anything_is_recorded(
    at_till, shelf, make_customer
):
    page = at_till
    make_customer(name="Achieng Otieno", phone="+254722000111", credit_limit=Decimal("2000"))
    scan(page, "6161101230011")
    page.get_by_label("Find a customer by name or phone").fill("Achieng")
    page.get_by_role("button", name="Achieng Otieno").click()
    page.get_by_text("Credit", exact=True).click()
    # Warned as soon as credit is chosen...
    expect(page.get_by_test_id("credit-warning")).to_contain_text("short by KES 1,500.00")
    # ...and refused if the cashier tries anyway.
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("till-errors")).to_contain_text(
        "would pass the limit of KES 2,000.00 by KES 1,500.00"
    )
    assert not Sale.objects.exists()
    assert Customer.objects.get(name="Achieng Otieno").credit_balance == 0


def test_mpesa_sale_and_the_same_code_refused_the_second_time(at_till, shelf, live_server):
    page = at_till
    for attempt in (1, 2):
        page.goto(f"{live_server.url}/till/")
        scan(page, "6161100450013")
        page.get_by_text("M-Pesa", exact=True).click()
        code = page.get_by_label("M-Pesa transaction code")
        code.fill("nlj7rt61sv")
        code.press("Enter")
        if attempt == 1:
            expect(page.get_by_test_id("receipt-mpesa-code")).to_have_text("NLJ7RT61SV")
    expect(page.get_by_test_id("till-errors")).to_contain_text(
        "M-Pesa code NLJ7RT61SV has already been used"
    )
    assert Sale.objects.count() == 1
