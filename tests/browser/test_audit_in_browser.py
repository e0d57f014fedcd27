"""The audit log walked in a real browser: a cashier takes a payment, a manager finds it in
Reports > Audit Log, filters to payments only, then to a day with nothing recorded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from credit.services import credit_payment_receive
from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_finds_a_payment_in_the_audit_log(
    page, live_server, log_in, manager, cashier, make_customer
):
    customer = make_customer(name="Amina Wanjiku", credit_limit=Decimal("5000"))
    sell(cashier=cashier, customer=customer, total="1200", payment_method="credit")
    credit_payment_receive(actor=cashier, customer=customer, amount="450", method="cash")

    log_in(manager)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Audit Log").click()
    expect(page.get_by_role("heading", name="Audit Log")).to_be_visible()
    rows = page.locator("table tbody tr")
    # Newest first: the payment, the credit sale, the customer added.
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Payment on account")
    expect(rows.nth(0)).to_contain_text("-450.00")
    expect(rows.nth(0)).to_contain_text("now owes KES 750.00")
    expect(rows.nth(1)).to_contain_text("Credit sale")
    expect(rows.nth(2)).to_contain_text("Customer added")

    page.get_by_label("What").select_option(label="Payment on account")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Amina Wanjiku")

    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("From").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table tbody")).to_contain_text("Nothing recorded matches these filters.")
