"""Payments on account, adjustments and limits: each changes the balance with its entry, or
refuses with a message and changes nothing."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from core.models import MpesaCode
from credit.models import CreditEntry, CreditPayment
from credit.services import (
    PaymentAlreadyRecorded,
    credit_adjust,
    credit_limit_set,
    credit_payment_receive,
)
from sales.services import sale_complete
from tests.factories import make_product, sell

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing(make_customer, cashier):
    """A customer who owes KES 1,000 on one credit sale."""
    customer = make_customer(name="Wanjala Barasa", credit_limit=Decimal("5000"))
    sell(cashier=cashier, customer=customer, total="1000", payment_method="credit")
    customer.refresh_from_db()
    return customer


def ledger(customer) -> Decimal:
    return customer.credit_entries.aggregate(total=Sum("amount"))["total"]


def state(customer):
    customer.refresh_from_db()
    return (customer.credit_balance, CreditEntry.objects.count(), CreditPayment.objects.count())


def test_a_partial_payment_lowers_the_balance_with_its_entry(owing, cashier):
    payment = credit_payment_receive(
        actor=cashier, customer=owing, amount="400", method="mpesa", mpesa_code="nlj7rt61sv"
    )
    owing.refresh_from_db()
    assert (payment.balance_before, payment.amount, payment.balance_after) == (
        Decimal("1000.00"),
        Decimal("400.00"),
        Decimal("600.00"),
    )
    assert payment.mpesa_code == "NLJ7RT61SV" and payment.received_by == cashier
    assert (payment.entry.kind, payment.entry.amount) == ("payment", Decimal("-400.00"))
    assert owing.credit_balance == Decimal("600.00") == ledger(owing)
    # Paying off the rest is allowed; a cent more is not.
    credit_payment_receive(actor=cashier, customer=owing, amount="600", method="cash")
    assert state(owing)[0] == Decimal("0.00")


@pytest.mark.parametrize(
    ("amount", "method", "code", "message"),
    [
        ("0", "cash", "", "more than zero"),
        ("-50", "cash", "", "more than zero"),
        ("abc", "cash", "", "Enter the amount"),
        ("1000.01", "cash", "", "more than the KES 1,000.00"),
        ("100", "mpesa", "SHORT", "10 letters and digits"),
        ("100", "mpesa", "", "10 letters and digits"),
        ("100", "cheque", "", "Choose Cash or M-Pesa"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(owing, cashier, amount, method, code, message):
    before = state(owing)
    with pytest.raises(ValidationError, match=message):
        credit_payment_receive(
            actor=cashier, customer=owing, amount=amount, method=method, mpesa_code=code
        )
    assert state(owing) == before


def test_nothing_to_pay_when_nothing_is_owed(make_customer, cashier):
    customer = make_customer(name="Paid Up")
    with pytest.raises(ValidationError, match="owes nothing"):
        credit_payment_receive(actor=cashier, customer=customer, amount="10", method="cash")
    assert not CreditPayment.objects.exists()


def test_an_mpesa_code_counts_once_across_sales_and_payments(owing, cashier):
    sale_complete(
        cashier=cashier,
        lines=[(make_product(retail_price="50"), Decimal("1"))],
        payment_method="mpesa",
        mpesa_code="ABCDE12345",
    )
    before = state(owing)
    with pytest.raises(ValidationError, match="already been used"):
        credit_payment_receive(
            actor=cashier, customer=owing, amount="100", method="mpesa", mpesa_code="abcde12345"
        )
    assert state(owing) == before
    credit_payment_receive(
        actor=cashier, customer=owing, amount="100", method="mpesa", mpesa_code="ZZZZZ99999"
    )
    with pytest.raises(ValidationError, match="already been used"):
        sale_complete(
            cashier=cashier,
            lines=[(make_product(retail_price="50"), Decimal("1"))],
            payment_method="mpesa",
            mpesa_code="ZZZZZ99999",
        )
    assert set(MpesaCode.objects.values_list("code", "purpose")) == {
        ("ABCDE12345", "sale"),
        ("ZZZZZ99999", "credit payment"),
    }


def test_the_same_payment_form_is_one_payment(owing, cashier):
    token = uuid.uuid4()
    first = credit_payment_receive(
        actor=cashier, customer=owing, amount="100", method="cash", form_token=token
    )
    with pytest.raises(PaymentAlreadyRecorded) as again:
        credit_payment_receive(
            actor=cashier, customer=owing, amount="100", method="cash", form_token=token
        )
    assert again.value.payment == first
    assert state(owing)[0] == Decimal("900.00")


def test_adjustments_need_a_reason_and_never_go_below_zero(owing, manager):
    before = state(owing)
    for amount, reason, message in [
        ("100", "  ", "reason"),
        ("0", "Typo", "cannot be zero"),
        ("-1000.01", "Written off", "leave the shop owing"),
    ]:
        with pytest.raises(ValidationError, match=message):
            credit_adjust(actor=manager, customer=owing, amount=amount, reason=reason)
        assert state(owing) == before
    entry = credit_adjust(actor=manager, customer=owing, amount="-250", reason="Bag torn, refund")
    assert (entry.kind, entry.amount, entry.balance_after, entry.created_by) == (
        "adjustment",
        Decimal("-250.00"),
        Decimal("750.00"),
        manager,
    )
    assert state(owing)[0] == ledger(owing) == Decimal("750.00")


def test_limits_are_never_negative_and_keep_their_history(owing, manager):
    with pytest.raises(ValidationError):
        credit_limit_set(actor=manager, customer=owing, credit_limit="-1")
    credit_limit_set(actor=manager, customer=owing, credit_limit="8000")
    owing.refresh_from_db()
    assert owing.credit_limit == Decimal("8000.00")
    latest = owing.history.order_by("-history_date", "-history_id").first()
    assert (latest.credit_limit, latest.history_user) == (Decimal("8000.00"), manager)
