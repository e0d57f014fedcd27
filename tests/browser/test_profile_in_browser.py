"""The customer profile in a real browser, as a manager: favourite products, the visits chart
drawn by Chart.js, and paging through the purchase history."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sales.services import sale_complete
from tests.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def regular(make_customer, cashier):
    """Njeri has bought maize flour on 25 days, and salt on every fifth of them."""
    customer = make_customer(name="Njeri Wambui")
    maize = make_product(name="Maize flour", retail_price="150")
    salt = make_product(name="Salt", retail_price="40")
    for index in range(25):
        lines = [(maize, Decimal("2"))] + ([(salt, Decimal("1"))] if index % 5 == 0 else [])
        sale_complete(
            cashier=cashier,
            customer=customer,
            lines=lines,
            payment_method="cash",
            cash_tendered=Decimal("1000"),
            sold_at=timezone.now() - timedelta(days=index * 9 + 1),
        )
    return customer


def test_manager_sees_favourites_the_visits_chart_and_pages_through_history(
    page, live_server, log_in, manager, regular
):
    log_in(manager)
    page.goto(f"{live_server.url}{regular.get_absolute_url()}")

    favourites = page.get_by_test_id("favourite-products")
    expect(favourites.locator("tbody tr")).to_have_count(2)
    expect(favourites.locator("tbody tr").first).to_contain_text("Maize flour")
    expect(favourites.locator("tbody tr").first.get_by_test_id("times-bought")).to_have_text("25")
    expect(favourites.locator("tbody tr").first.get_by_test_id("quantity")).to_have_text("50")
    expect(favourites.locator("tbody tr").nth(1).get_by_test_id("times-bought")).to_have_text("5")

    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )
    expect(page.get_by_test_id("visits-per-month").locator("tbody tr")).to_have_count(12)

    history = page.get_by_test_id("purchase-history")
    expect(history.locator("tbody tr")).to_have_count(20)
    expect(page.get_by_test_id("purchases-page")).to_have_text("Page 1 of 2")
    page.screenshot(path="/tmp/profile.png", full_page=True)

    page.get_by_role("link", name="Older").click()
    expect(page.get_by_test_id("purchases-page")).to_have_text("Page 2 of 2")
    expect(history.locator("tbody tr")).to_have_count(5)
    page.get_by_role("link", name="Newer").click()
    expect(page.get_by_test_id("purchases-page")).to_have_text("Page 1 of 2")
