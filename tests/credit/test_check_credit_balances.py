"""`manage.py check_credit_balances`: every stored balance against the sum of its ledger."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, execute_from_command_line

from credit.services import credit_payment_receive
from customers.models import Customer
from tests.factories import sell

pytestmark = pytest.mark.django_db


def check() -> str:
    out = StringIO()
    call_command("check_credit_balances", stdout=out)
    return out.getvalue()


@pytest.fixture
def book(make_customer, cashier):
    """Two customers on credit (one part paid) and one who never bought on credit."""
    wanjiru = make_customer(name="Wanjiru Kamau", credit_limit=Decimal("5000"))
    otieno = make_customer(name="Otieno Odhiambo", credit_limit=Decimal("5000"))
    make_customer(name="Mutua Kioko")
    sell(cashier=cashier, customer=wanjiru, total="1200.50", payment_method="credit")
    sell(cashier=cashier, customer=otieno, total="800", payment_method="credit")
    credit_payment_receive(actor=cashier, customer=otieno, amount="300", method="cash")
    return {"wanjiru": wanjiru, "otieno": otieno}


def test_balances_that_equal_their_ledgers_pass_with_one_line(book):
    out = check()
    assert out.strip() == "Every customer's credit balance equals their ledger."


def test_an_empty_book_passes():
    assert "equals their ledger" in check()


def test_a_balance_changed_outside_the_services_fails_naming_the_customer(book):
    otieno = book["otieno"]
    Customer.objects.filter(pk=otieno.pk).update(credit_balance=Decimal("450.00"))
    out = StringIO()

    with pytest.raises(CommandError, match=r"1 customer\(s\) have a credit balance"):
        call_command("check_credit_balances", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert f"customer {otieno.pk} (Otieno Odhiambo)" in lines[0]
    assert "balance 450.00" in lines[0] and "ledger 500.00" in lines[0]


def test_a_balance_with_no_ledger_at_all_fails(book, make_customer):
    stranger = make_customer(name="Nafula Wekesa")
    Customer.objects.filter(pk=stranger.pk).update(credit_balance=Decimal("10"))

    with pytest.raises(CommandError):
        call_command("check_credit_balances", stdout=StringIO())


def test_run_as_a_process_it_exits_non_zero(book):
    """What a cron job or CI sees: the exit status, not an exception."""
    Customer.objects.filter(pk=book["wanjiru"].pk).update(credit_balance=Decimal("0"))
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "check_credit_balances"])
    assert exit_info.value.code != 0
