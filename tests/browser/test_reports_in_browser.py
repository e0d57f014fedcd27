"""The credit report walked in a real browser, as a manager: its totals are the ledger's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import expect

from credit.models import CreditEntry
from credit.services import credit_payment_receive
from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def days_ago(days: int):
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )


def table_names(page) -> list[str]:
    return page.locator("table tbody tr td:first-child").all_inner_texts()


def test_manager_reads_the_credit_report_and_its_ageing(
    page, live_server, log_in, manager, cashier, make_customer
):
    owing = {
        "Amina Current": [("1000", 10)],
        "Baraka Overdue": [("2000", 75), ("500", 40)],
        "Chebet Old": [("800", 120)],
    }
    for name, sales in owing.items():
        customer = make_customer(name=name, credit_limit=Decimal("5000"))
        for total, days in sales:
            sell(
                cashier=cashier,
                customer=customer,
                total=total,
                payment_method="credit",
                sold_at=days_ago(days),
            )
        if name == "Baraka Overdue":
            credit_payment_receive(actor=cashier, customer=customer, amount="300", method="cash")
    make_customer(name="Daudi Nothing Owed")
    ledger = CreditEntry.objects.aggregate(total=Sum("amount"))["total"]
    ledger_text = f"KES {ledger:,.2f}"
    assert ledger_text == "KES 4,000.00"

    log_in(manager)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Credit Report").click()
    expect(page.get_by_role("heading", name="Credit Report")).to_be_visible()
    expect(page.get_by_test_id("total-outstanding")).to_have_text(ledger_text)
    assert table_names(page) == ["Amina Current", "Baraka Overdue", "Chebet Old"]

    # Filter by a bucket: only Chebet owes anything over 90 days old.
    page.get_by_label("Ageing bucket").select_option(label="Over 90 days")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    assert table_names(page) == ["Chebet Old"]
    expect(page.get_by_test_id("total-outstanding")).to_have_text(ledger_text)

    # The ageing summary: the same total, as a table and as a chart.
    page.get_by_role("link", name="Ageing summary").click()
    expect(page.get_by_role("heading", name="Ageing Summary")).to_be_visible()
    expect(page.get_by_test_id("ageing-total")).to_have_text(ledger_text)
    chart = page.get_by_role("img", name="Unpaid credit by age")
    expect(chart).to_be_visible()
    # Drawn by the vendored Chart.js with the table's numbers.
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )
    drawn = chart.evaluate("canvas => Chart.getChart(canvas).data.datasets[0].data")
    assert len(drawn) == 4 and all(amount > 0 for amount in drawn)
    assert drawn[2] == max(drawn)  # 61-90 days: Baraka's 1,700 is the largest bucket
