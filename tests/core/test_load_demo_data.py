from decimal import Decimal
from io import StringIO

import phonenumbers
import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Sum
from django.test import RequestFactory

from core.management.commands.load_demo_data import DEMO_LOGINS
from credit.models import CreditEntry, CreditEntryKind, CreditPayment
from customers.models import Cluster, Customer
from sales.models import PaymentMethod, Sale

SMALL_RUN = ("--customers", "40", "--sales", "300")


def _counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "clusters": Cluster.objects.count(),
        "customers": Customer.objects.count(),
        "customer history": Customer.history.count(),
        "sales": Sale.objects.count(),
        "credit entries": CreditEntry.objects.count(),
        "credit payments": CreditPayment.objects.count(),
    }


@pytest.mark.django_db
def test_load_demo_data_creates_consistent_data_once():
    call_command("load_demo_data", *SMALL_RUN)

    # Axes checks every login against its lockout list, so authenticate needs a request.
    login_request = RequestFactory().post("/accounts/login/")
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert list(user.groups.values_list("name", flat=True)) == [login.role]
        assert authenticate(login_request, username=login.username, password=login.password) == user
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(username="cashier").is_staff

    customers = list(Customer.objects.all())
    assert len(customers) == 40
    phones = [str(customer.phone) for customer in customers]
    assert len(set(phones)) == len(phones)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(phone)) for phone in phones)
    assert all(customer.clusters.exists() for customer in customers)

    assert Sale.objects.count() == 300
    assert Sale.objects.filter(customer=None).exists()
    assert not Sale.objects.filter(customer=None, payment_method=PaymentMethod.CREDIT).exists()
    assert Customer.objects.filter(total_visits=0).exists(), "some customers never bought"

    # Raises CommandError if any stored visit figure disagrees with the sales.
    call_command("rebuild_visit_figures", "--check")
    call_command("rebuild_report_figures", "--check", stdout=StringIO())  # the reports' too
    for customer in customers:
        ledger = customer.credit_entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        assert customer.credit_balance == ledger
        assert customer.credit_balance <= customer.credit_limit

    # Customers on credit pay on account now and then, cash or M-Pesa, never more than owed.
    call_command("check_credit_balances", stdout=StringIO())
    payments = list(CreditPayment.objects.select_related("entry"))
    assert payments, "some customers paid on account"
    assert {payment.method for payment in payments} == {"cash", "mpesa"}
    assert Customer.objects.filter(credit_balance=0, credit_payments__isnull=False).exists(), (
        "some customers paid off everything they owed"
    )
    for payment in payments:
        assert payment.balance_before - payment.amount == payment.balance_after >= 0
        assert payment.entry.created_at == payment.received_at
    # Recorded in time order, interleaved with the sales: each customer's ledger in id order is
    # in date order and a running sum, and every payment comes after a credit sale it pays.
    for customer in customers:
        running, last_at = Decimal(0), None
        for entry in customer.credit_entries.order_by("pk"):
            assert last_at is None or entry.created_at >= last_at
            running += entry.amount
            assert entry.balance_after == running
            if entry.kind == CreditEntryKind.PAYMENT:
                assert last_at is not None, "a payment with nothing owed before it"
            last_at = entry.created_at
    first_payment = min(payment.received_at for payment in payments)
    assert Sale.objects.filter(sold_at__gt=first_payment).exists(), "payments among the sales"

    counts_after_first_run = _counts()
    call_command("load_demo_data", *SMALL_RUN)
    assert _counts() == counts_after_first_run
