"""axe-core on the pages staff use most (tests/browser/axe.py): no serious or critical
accessibility problem, colour contrast included, on a phone (menu open) and at a desk."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_no_serious_axe_violations, serious_violations
from tests.factories import make_product, sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(360, 740), (1366, 768)]


@pytest.fixture(params=SIZES, ids=["phone", "desk"])
def sized_page(request, page):
    width, height = request.param
    page.set_viewport_size({"width": width, "height": height})
    return page


def open_the_menu(page) -> None:
    """On a phone the navigation is folded behind the menu button: open it, so its links are
    checked too."""
    toggler = page.get_by_role("button", name="Menu")
    if toggler.is_visible():
        toggler.click()
        expect(page.locator("#main-nav.show")).to_be_visible()


def test_the_checker_fails_on_serious_problems_and_names_them(page):
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<h1>Test</h1><img src="data:,"><button></button>'
        '<p style="color:#98c9b2;background:#198754">Pale on green</p></main></body></html>'
    )
    found = {violation["id"] for violation in serious_violations(page)}
    assert {"image-alt", "button-name", "color-contrast"} <= found
    with pytest.raises(AssertionError, match=r"(?s)image-alt \(critical.*<img"):
        assert_no_serious_axe_violations(page)


def test_the_customer_list(sized_page, live_server, log_in, manager, cashier, make_customer):
    page = sized_page
    for number in range(3):
        customer = make_customer(name=f"Mwikali Kitheka {number}", credit_limit=Decimal("5000"))
        sell(cashier=cashier, customer=customer, total="1200", payment_method="credit")
    log_in(manager)
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("table tbody tr")).to_have_count(3)
    open_the_menu(page)
    assert_no_serious_axe_violations(page)


def test_the_add_customer_form_empty_and_with_errors(sized_page, live_server, log_in, manager):
    page = sized_page
    log_in(manager)
    page.goto(f"{live_server.url}/customers/add/")
    expect(page.get_by_role("heading", name="New customer")).to_be_visible()
    open_the_menu(page)
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Create").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    assert_no_serious_axe_violations(page)


def test_the_till_empty_and_with_a_line(sized_page, live_server, log_in, cashier):
    page = sized_page
    make_product(name="DAP fertiliser 50 kg", code="6161101230011", retail_price="3500")
    log_in(cashier)
    expect(page).to_have_url(f"{live_server.url}/till/")
    open_the_menu(page)
    assert_no_serious_axe_violations(page)

    box = page.get_by_label("Scan or search a product")
    box.fill("6161101230011")
    box.press("Enter")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    expect(
        page.locator("#till.htmx-request, #till.htmx-swapping, #till.htmx-settling")
    ).to_have_count(0)
    assert_no_serious_axe_violations(page)


def test_the_till_with_a_customer_on_credit_offline_and_its_provisional_receipt(
    sized_page, context, live_server, log_in, cashier, make_customer
):
    """The till's other states: a customer chosen with their credit, each payment method, the
    error banner, offline with its queue, and the provisional receipt."""
    page = sized_page
    make_product(name="DAP fertiliser 50 kg", code="6161101230011", retail_price="3500")
    make_customer(name="Mũthoni Wanjirũ", phone="+254712345678", credit_limit=Decimal("2000"))
    log_in(cashier)
    box = page.get_by_label("Scan or search a product")
    box.fill("6161101230011")
    box.press("Enter")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    page.get_by_label("Find a customer by name or phone").fill("0712345678")
    page.get_by_label("Find a customer by name or phone").press("Enter")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mũthoni Wanjirũ")
    page.get_by_text("Credit", exact=True).click()
    expect(page.get_by_test_id("credit-warning")).to_be_visible()
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("till-errors")).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_text("M-Pesa", exact=True).click()
    assert_no_serious_axe_violations(page)

    context.set_offline(True)
    expect(page.get_by_test_id("till-status")).to_contain_text("Offline")
    page.get_by_text("Cash", exact=True).click()
    page.get_by_label("Cash tendered (KES)").fill("4000")
    assert_no_serious_axe_violations(page)
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("provisional-receipt")).to_be_visible()
    assert_no_serious_axe_violations(page)
    page.get_by_role("button", name="New sale").click()
    expect(page.get_by_test_id("queued-sale")).to_have_count(1)
    assert_no_serious_axe_violations(page)
