"""A payment on account walked in a real browser, as a manager: from the customer's profile to
Credit Balance, Receive Payment, and the printed repayment receipt."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from credit.models import CreditPayment
from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owing(make_customer, cashier):
    """Mutua owes KES 3,500 on a credit sale of fertiliser."""
    customer = make_customer(name="Mutua Musyoka", credit_limit=Decimal("10000"))
    sell(cashier=cashier, customer=customer, total="3500", payment_method="credit")
    customer.refresh_from_db()
    return customer


def receive_payment(page, *, amount: str, mpesa_code: str) -> None:
    page.get_by_role("link", name="Receive Payment").click()
    expect(page.get_by_test_id("amount-owed")).to_be_visible()
    page.get_by_label("Amount paid (KES)").fill(amount)
    page.get_by_label("M-Pesa", exact=True).check()
    page.get_by_label("M-Pesa code").fill(mpesa_code)
    page.get_by_role("button", name="Receive Payment").click()


def test_manager_receives_a_partial_mpesa_payment_and_prints_its_receipt(
    page, live_server, log_in, manager, owing
):
    log_in(manager)
    page.goto(f"{live_server.url}{owing.get_absolute_url()}")
    expect(page.get_by_test_id("credit-balance")).to_have_text("KES 3,500.00")
    page.get_by_test_id("credit-balance").get_by_role("link").click()

    expect(page.get_by_role("heading", name="Credit Balance")).to_be_visible()
    expect(page.get_by_test_id("available-credit")).to_have_text("KES 6,500.00")
    receive_payment(page, amount="1,500", mpesa_code="nlj7rt61sv")

    expect(page.get_by_test_id("receipt")).to_be_visible()
    expect(page.get_by_test_id("receipt-amount")).to_have_text("1,500.00")
    expect(page.get_by_test_id("receipt-balance-before")).to_have_text("3,500.00")
    expect(page.get_by_test_id("receipt-balance-after")).to_have_text("2,000.00")
    expect(page.get_by_test_id("receipt-mpesa-code")).to_have_text("NLJ7RT61SV")
    expect(page.get_by_test_id("receipt-customer")).to_have_text("Mutua Musyoka")
    expect(page.get_by_role("alert")).to_contain_text("Balance now KES 2,000.00")

    # The Print button opens the browser's print dialog (replaced here, a dialog would block).
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed === true")

    # A second payment with the same M-Pesa code is refused and changes nothing.
    page.get_by_role("link", name="Credit Balance").click()
    expect(page.get_by_test_id("credit-balance")).to_have_text("KES 2,000.00")
    receive_payment(page, amount="500", mpesa_code="NLJ7RT61SV")
    expect(page.get_by_text("M-Pesa code NLJ7RT61SV has already been used.")).to_be_visible()
    expect(page.get_by_test_id("credit-balance")).to_have_text("KES 2,000.00")

    payment = CreditPayment.objects.get()
    owing.refresh_from_db()
    assert (payment.amount, payment.received_by, owing.credit_balance) == (
        Decimal("1500.00"),
        manager,
        Decimal("2000.00"),
    )
