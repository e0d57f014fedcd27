"""Voiding a sale: the service's rules, and the Manager's confirm page that calls it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from core.staff import staff_name
from credit.models import CreditEntry
from credit.services import credit_payment_receive
from sales.models import Sale
from sales.selectors import VISIT_FIGURES
from sales.services import sale_void
from tests.factories import sell

pytestmark = pytest.mark.django_db


def figures(customer) -> dict:
    customer.refresh_from_db()
    return {name: getattr(customer, name) for name in VISIT_FIGURES}


def void_url(sale) -> str:
    return reverse("sales:sale_void", args=[sale.pk])


def ledger_sum(customer) -> Decimal:
    return CreditEntry.objects.filter(customer=customer).aggregate(s=Sum("amount"))["s"]


def void_state(sale) -> tuple:
    sale.refresh_from_db()
    return (sale.voided_at, sale.voided_by_id, sale.void_reason)


class TestService:
    @pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
    def test_a_reason_is_required(self, manager, make_customer, cashier, reason):
        customer = make_customer()
        sale = sell(cashier=cashier, customer=customer, total="100", payment_method="cash")
        before = figures(customer)
        with pytest.raises(ValidationError, match="reason"):
            sale_void(actor=manager, sale=sale, reason=reason)
        assert void_state(sale) == (None, None, "")
        assert figures(customer) == before

    def test_the_sale_keeps_who_when_and_why(self, manager, cashier):
        sale = sell(cashier=cashier, total="100", payment_method="cash")
        sale_void(actor=manager, sale=sale, reason="  Rang   up twice ")
        sale.refresh_from_db()
        assert sale.is_voided and sale.voided_by == manager
        assert sale.void_reason == "Rang up twice"
        assert timezone.now() - sale.voided_at < timedelta(minutes=1)
        assert Sale.objects.filter(pk=sale.pk).exists()

    def test_a_second_void_is_refused_and_changes_nothing(self, manager, admin_role_user, cashier):
        sale = sell(cashier=cashier, total="100", payment_method="cash")
        sale_void(actor=manager, sale=sale, reason="First")
        first = void_state(sale)
        with pytest.raises(ValidationError, match="already voided"):
            sale_void(actor=admin_role_user, sale=sale, reason="Second")
        assert void_state(sale) == first

    def test_visit_figures_go_back_to_what_the_remaining_sales_say(
        self, manager, cashier, make_customer
    ):
        customer = make_customer()
        now = timezone.now()
        oldest = sell(
            cashier=manager,
            customer=customer,
            total="20.25",
            payment_method="mpesa",
            sold_at=now - timedelta(days=40),
        )
        middle = sell(
            cashier=manager,
            customer=customer,
            total="30",
            payment_method="cash",
            sold_at=now - timedelta(days=5),
        )
        latest = sell(
            cashier=cashier, customer=customer, total="50", payment_method="cash", sold_at=now
        )
        sale_void(actor=manager, sale=latest, reason="Wrong customer")
        assert figures(customer) == {
            "first_visit_at": oldest.sold_at,
            "last_visit_at": middle.sold_at,
            "total_visits": 2,
            "total_spent": Decimal("50.25"),
            "last_cashier_id": manager.pk,  # who served the latest sale still counted
            "last_cashier_name": staff_name(manager),
        }
        call_command("rebuild_visit_figures", "--check")

        sale_void(actor=manager, sale=oldest, reason="Test sale")
        assert figures(customer)["first_visit_at"] == middle.sold_at
        call_command("rebuild_visit_figures", "--check")

        sale_void(actor=manager, sale=middle, reason="Test sale")
        assert figures(customer) == {
            "first_visit_at": None,
            "last_visit_at": None,
            "total_visits": 0,
            "total_spent": Decimal("0.00"),
            "last_cashier_id": None,
            "last_cashier_name": None,
        }
        call_command("rebuild_visit_figures", "--check")

    def test_voiding_leaves_other_customers_alone(self, manager, cashier, make_customer):
        mine, other = make_customer(), make_customer(name="Other")
        sale = sell(cashier=cashier, customer=mine, total="10", payment_method="cash")
        sell(cashier=cashier, customer=other, total="10", payment_method="cash")
        before = figures(other)
        sale_void(actor=manager, sale=sale, reason="Mistake")
        assert figures(other) == before
        call_command("rebuild_visit_figures", "--check")

    def test_a_walk_in_sale_can_be_voided(self, manager, cashier):
        sale = sell(cashier=cashier, total="10", payment_method="cash")
        sale_void(actor=manager, sale=sale, reason="Mistake")
        assert void_state(sale)[0] is not None

    def test_a_credit_sale_comes_off_the_balance_with_a_void_entry(
        self, manager, cashier, make_customer
    ):
        customer = make_customer(credit_limit=Decimal("1000"))
        kept = sell(cashier=cashier, customer=customer, total="150", payment_method="credit")
        voided = sell(cashier=cashier, customer=customer, total="400", payment_method="credit")
        customer.refresh_from_db()
        assert customer.credit_balance == Decimal("550.00") == ledger_sum(customer)

        sale_void(actor=manager, sale=voided, reason="Goods not taken")
        customer.refresh_from_db()
        entry = CreditEntry.objects.get(kind="void")
        assert customer.credit_balance == Decimal("150.00") == ledger_sum(customer)
        assert (entry.sale, entry.amount, entry.balance_after, entry.created_by) == (
            voided,
            Decimal("-400.00"),
            Decimal("150.00"),
            manager,
        )
        assert entry.reason == "Goods not taken" and entry.customer == customer
        assert not CreditEntry.objects.filter(sale=kept, kind="void").exists()

        # The balance freed by the void can be used again, up to the limit.
        sell(cashier=cashier, customer=customer, total="850", payment_method="credit")
        customer.refresh_from_db()
        assert customer.credit_balance == Decimal("1000.00") == ledger_sum(customer)
        call_command("rebuild_visit_figures", "--check")

    def test_a_refused_credit_void_changes_nothing(self, manager, cashier, make_customer):
        customer = make_customer(credit_limit=Decimal("1000"))
        sale = sell(cashier=cashier, customer=customer, total="400", payment_method="credit")
        # 300 of it has been paid on account: the customer owes less than the sale.
        credit_payment_receive(actor=cashier, customer=customer, amount="300", method="cash")
        before = figures(customer)
        with pytest.raises(ValidationError, match="part of it has been paid"):
            sale_void(actor=manager, sale=sale, reason="Returned")
        assert void_state(sale) == (None, None, "")
        assert figures(customer) == before
        assert not CreditEntry.objects.filter(kind="void").exists()


class TestView:
    def test_confirm_page_asks_for_a_required_reason(self, client, manager, cashier):
        sale = sell(cashier=cashier, total="120", payment_method="cash")
        client.force_login(manager)
        response = client.get(void_url(sale))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="reason"' in html and "required" in html
        assert f"Void sale {sale.pk}?" in html

    @pytest.mark.parametrize("reason", ["", "    "])
    def test_no_reason_is_explained_and_nothing_changes(self, client, manager, cashier, reason):
        sale = sell(cashier=cashier, total="120", payment_method="cash")
        client.force_login(manager)
        response = client.post(void_url(sale), {"reason": reason})
        assert response.status_code == 200
        assert "Give a reason for voiding the sale." in response.content.decode()
        assert void_state(sale) == (None, None, "")

    def test_a_reason_too_long_is_explained(self, client, manager, cashier):
        sale = sell(cashier=cashier, total="120", payment_method="cash")
        client.force_login(manager)
        response = client.post(void_url(sale), {"reason": "x" * 256})
        assert response.status_code == 200
        assert "at most 255 characters" in response.content.decode()
        assert void_state(sale) == (None, None, "")

    def test_void_goes_back_to_the_sale_with_a_message(
        self, client, manager, cashier, make_customer
    ):
        customer = make_customer(credit_limit=Decimal("1000"))
        sale = sell(cashier=cashier, customer=customer, total="300", payment_method="credit")
        client.force_login(manager)
        response = client.post(void_url(sale), {"reason": "Customer returned the goods"})
        assert response.status_code == 302 and response.url == sale.get_absolute_url()
        page = client.get(response.url).content.decode()
        assert f"Sale {sale.pk} voided." in page
        assert "Customer returned the goods" in page and "Credit sale voided" in page
        _, voided_by, reason = void_state(sale)
        assert (voided_by, reason) == (manager.pk, "Customer returned the goods")
        customer.refresh_from_db()
        assert customer.credit_balance == Decimal("0.00") == ledger_sum(customer)
        assert customer.total_visits == 0
        call_command("rebuild_visit_figures", "--check")

    def test_a_second_void_is_refused_with_a_message(self, client, manager, cashier):
        sale = sell(cashier=cashier, total="120", payment_method="cash")
        sale_void(actor=manager, sale=sale, reason="First")
        first = void_state(sale)
        client.force_login(manager)
        response = client.post(void_url(sale), {"reason": "Second"})
        assert response.status_code == 200
        assert "This sale was already voided." in response.content.decode()
        assert void_state(sale) == first
        # Asking for the confirm page again goes back to the sale, which says so.
        response = client.get(void_url(sale), follow=True)
        assert response.redirect_chain[-1][0] == sale.get_absolute_url()
        assert "This sale was already voided." in response.content.decode()

    def test_a_refused_credit_void_shows_why(self, client, manager, cashier, make_customer):
        customer = make_customer(credit_limit=Decimal("1000"))
        sale = sell(cashier=cashier, customer=customer, total="400", payment_method="credit")
        credit_payment_receive(actor=cashier, customer=customer, amount="300", method="cash")
        client.force_login(manager)
        response = client.post(void_url(sale), {"reason": "Returned"})
        assert response.status_code == 200
        assert "part of it has been paid" in response.content.decode()
        assert void_state(sale) == (None, None, "")

    def test_voided_sale_is_still_listed_and_marked(self, client, manager, cashier):
        sale = sell(cashier=cashier, total="120", payment_method="cash")
        client.force_login(manager)
        client.post(void_url(sale), {"reason": "Mistake"})
        response = client.get(reverse("sales:sale_list"))
        assert [row.record.pk for row in response.context["table"].paginated_rows] == [sale.pk]
        assert "Voided" in response.content.decode()
        voided_only = client.get(reverse("sales:sale_list"), {"status": "voided"})
        assert [row.record.pk for row in voided_only.context["table"].paginated_rows] == [sale.pk]

    def test_cashier_gets_403_and_nothing_changes(self, client, cashier, make_customer):
        customer = make_customer()
        sale = sell(cashier=cashier, customer=customer, total="120", payment_method="cash")
        before = figures(customer)
        client.force_login(cashier)
        assert client.get(void_url(sale)).status_code == 403
        assert client.post(void_url(sale), {"reason": "I made a mistake"}).status_code == 403
        assert void_state(sale) == (None, None, "")
        assert figures(customer) == before
