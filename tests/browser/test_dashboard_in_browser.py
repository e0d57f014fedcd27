"""A manager's home is the dashboard: today's sales as the database has them, one click from the
sales list filtered to today."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import expect

from sales.models import Sale
from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_lands_on_the_dashboard_and_opens_todays_sales(
    page, live_server, log_in, manager, cashier, make_customer
):
    customer = make_customer(name="Amina Dashboard", credit_limit=Decimal("5000"))
    sell(cashier=cashier, customer=customer, total="1200", payment_method="credit")
    sell(cashier=cashier, total="350.50", payment_method="cash")
    today = timezone.localdate()
    revenue = Sale.objects.filter(voided_at__isnull=True, sold_at__date=today).aggregate(
        total=Sum("total")
    )["total"]
    assert revenue == Decimal("1550.50")

    log_in(manager)
    expect(page).to_have_url(f"{live_server.url}/reports/dashboard/")
    figure = page.get_by_test_id("sales-today")
    expect(figure).to_have_text(f"KES {revenue:,.2f}")
    expect(page.get_by_test_id("sales-today-count")).to_have_text("2 sales")

    figure.click()
    expect(page).to_have_url(
        f"{live_server.url}/sales/?date_from={today:%Y-%m-%d}&date_to={today:%Y-%m-%d}"
    )
    expect(page.get_by_label("From")).to_have_value(f"{today:%Y-%m-%d}")
    expect(page.locator("table tbody tr")).to_have_count(2)
