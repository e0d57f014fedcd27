"""A customer's credit pages: who may do what, every bad input refused with a message and nothing
changed, the repayment receipt, the statement's figures and the credit limit's history."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import MpesaCode
from credit.models import CreditEntry, CreditPayment
from credit.services import credit_adjust, credit_limit_set, credit_payment_receive
from customers.models import Customer
from tests.factories import sell

pytestmark = pytest.mark.django_db

NAIROBI = ZoneInfo("Africa/Nairobi")
TODAY = timezone.localdate()


@pytest.fixture
def owing(make_customer, cashier):
    """A customer who owes KES 1,000 on one credit sale, with a limit of KES 5,000."""
    customer = make_customer(name="Wanjala Barasa", phone="0712 000 999", credit_limit="5000")
    sell(cashier=cashier, customer=customer, total="1000", payment_method="credit")
    customer.refresh_from_db()
    return customer


@pytest.fixture
def a_payment(owing, cashier):
    return credit_payment_receive(
        actor=cashier, customer=owing, amount="250", method="mpesa", mpesa_code="QWE1234567"
    )


def url(name: str, customer) -> str:
    return reverse(f"credit:{name}", args=[customer.pk])


def state(customer):
    """Everything a refused input must leave as it was."""
    customer.refresh_from_db()
    return (
        customer.credit_balance,
        customer.credit_limit,
        CreditEntry.objects.count(),
        CreditPayment.objects.count(),
        MpesaCode.objects.count(),
        customer.history.count(),
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def payment_form(**overrides) -> dict:
    data = {"amount": "400", "method": "cash", "mpesa_code": "", "form_token": str(uuid.uuid4())}
    data.update(overrides)
    return data


def days_ago(days: int) -> datetime:
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )


PAGES = ("customer_credit", "payment_receive", "credit_adjust", "credit_limit", "statement")


class TestPermissions:
    def test_anonymous_users_are_sent_to_the_login_page(self, client, owing, a_payment):
        urls = [url(name, owing) for name in PAGES] + [a_payment.get_absolute_url()]
        for address in urls:
            for method in (client.get, client.post):
                response = method(address)
                assert response.status_code == 302, address
                assert response.url.startswith(reverse("login")), address

    def test_a_user_without_a_role_gets_403(self, client, no_role_user, owing, a_payment):
        client.force_login(no_role_user)
        for address in [url(name, owing) for name in PAGES] + [a_payment.get_absolute_url()]:
            assert client.get(address).status_code == 403, address

    def test_cashier_may_view_and_receive_payments_but_not_adjust_or_set_limits(
        self, client, cashier, owing, a_payment
    ):
        client.force_login(cashier)
        for name in ("customer_credit", "payment_receive", "statement"):
            assert client.get(url(name, owing)).status_code == 200, name
        assert client.get(a_payment.get_absolute_url()).status_code == 200
        before = state(owing)
        assert client.get(url("credit_adjust", owing)).status_code == 403
        assert (
            client.post(
                url("credit_adjust", owing), {"amount": "-100", "reason": "Goodwill"}
            ).status_code
            == 403
        )
        assert client.get(url("credit_limit", owing)).status_code == 403
        assert client.post(url("credit_limit", owing), {"credit_limit": "99999"}).status_code == 403
        assert state(owing) == before

    def test_cashier_sees_only_the_buttons_they_may_use(self, client, cashier, owing):
        client.force_login(cashier)
        for page in (url("customer_credit", owing), owing.get_absolute_url()):
            content = client.get(page).content.decode()
            assert url("payment_receive", owing) in content
            assert url("statement", owing) in content
            assert url("credit_adjust", owing) not in content
            assert url("credit_limit", owing) not in content

    @pytest.mark.parametrize("role_user", ["manager", "admin_role_user"])
    def test_manager_and_admin_may_do_everything(self, client, request, role_user, owing):
        client.force_login(request.getfixturevalue(role_user))
        for name in PAGES:
            assert client.get(url(name, owing)).status_code == 200, name

    def test_unknown_customer_or_payment_is_404(self, client, manager):
        client.force_login(manager)
        for name in PAGES:
            assert client.get(reverse(f"credit:{name}", args=[999999])).status_code == 404
        assert (
            client.post(url("payment_receive", Customer(pk=999999)), payment_form()).status_code
            == 404
        )
        assert client.get(reverse("credit:payment_receipt", args=[999999])).status_code == 404


class TestCreditBalancePage:
    def test_shows_balance_limit_available_ageing_and_ledger(
        self, client, manager, cashier, make_customer
    ):
        customer = make_customer(name="Mutiso Kilonzo", credit_limit="3000")
        sale = sell(
            cashier=cashier,
            customer=customer,
            total="1200",
            payment_method="credit",
            sold_at=days_ago(45),
        )
        sell(cashier=cashier, customer=customer, total="300", payment_method="credit")
        credit_payment_receive(
            actor=cashier, customer=customer, amount="200", method="mpesa", mpesa_code="ABC1234567"
        )
        credit_adjust(actor=manager, customer=customer, amount="50", reason="Delivery fee")
        client.force_login(manager)
        response = client.get(url("customer_credit", customer))
        content = response.content.decode()
        assert 'data-testid="credit-balance">KES 1,350.00' in content
        assert 'data-testid="credit-limit">KES 3,000.00' in content
        assert 'data-testid="available-credit">KES 1,650.00' in content
        # FIFO: the payment settled 200 of the oldest sale; 1,000 of it is 31-60 days old.
        ageing = response.context["ageing"]
        assert (ageing.current, ageing.days_31_60, ageing.days_61_90, ageing.over_90) == (
            Decimal("350.00"),
            Decimal("1000.00"),
            Decimal("0.00"),
            Decimal("0.00"),
        )
        assert 'data-testid="ageing-days_31_60">1,000.00' in content
        assert timezone.localtime(ageing.oldest_unpaid_at).date() == days_ago(45).date()
        entries = list(response.context["entries"])
        assert [e.kind for e in entries] == ["adjustment", "payment", "sale", "sale"]
        assert [e.balance_after for e in entries] == [
            Decimal("1350.00"),
            Decimal("1300.00"),
            Decimal("1500.00"),
            Decimal("1200.00"),
        ]
        assert "Delivery fee" in content and "ABC1234567" in content
        assert reverse("sales:sale_detail", args=[sale.pk]) in content
        assert entries[1].payment.get_absolute_url() in content
        for name in ("payment_receive", "credit_adjust", "credit_limit", "statement"):
            assert url(name, customer) in content

    def test_no_receive_payment_button_when_nothing_is_owed(self, client, manager, make_customer):
        customer = make_customer(name="Paid Up")
        client.force_login(manager)
        for page in (url("customer_credit", customer), customer.get_absolute_url()):
            content = client.get(page).content.decode()
            assert url("payment_receive", customer) not in content
            assert url("statement", customer) in content

    def test_the_ledger_is_paged_latest_first_in_a_fixed_number_of_queries(
        self, client, manager, cashier, make_customer
    ):
        def queries_for(customer, **params):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url("customer_credit", customer), params)
            assert response.status_code == 200
            return len(queries), response

        small = make_customer(name="Few entries", credit_limit="100000")
        big = make_customer(name="Many entries", credit_limit="100000")
        for customer, count in ((small, 3), (big, 30)):
            for number in range(count):
                sell(
                    cashier=cashier,
                    customer=customer,
                    total=str(10 + number),
                    payment_method="credit",
                    sold_at=days_ago(count - number),
                )
            credit_payment_receive(actor=cashier, customer=customer, amount="1", method="cash")
        client.force_login(manager)
        few, _response = queries_for(small)
        many, first_page = queries_for(big)
        assert few == many
        shown = list(first_page.context["entries"])
        assert len(shown) == 25 and shown[0].kind == "payment"
        _count, second_page = queries_for(big, page=2)
        assert len(second_page.context["entries"]) == 6
        _count, tampered = queries_for(big, page="x")
        assert tampered.context["page_obj"].number == 1

    def test_customer_profile_links_the_balance_to_the_credit_page(self, client, manager, owing):
        client.force_login(manager)
        content = client.get(owing.get_absolute_url()).content.decode()
        assert f'<a href="{url("customer_credit", owing)}"' in content
        assert "KES 1,000.00</a>" in content


class TestReceivePayment:
    def test_the_form_shows_what_is_owed_and_an_empty_amount(self, client, cashier, owing):
        client.force_login(cashier)
        response = client.get(url("payment_receive", owing))
        content = response.content.decode()
        assert "owes KES 1,000.00" in content
        assert response.context["form"]["amount"].value() is None
        assert uuid.UUID(str(response.context["form"]["form_token"].value()))
        assert 'type="hidden" name="form_token"' in content

    def test_a_partial_mpesa_payment_goes_to_its_receipt(self, client, cashier, owing):
        client.force_login(cashier)
        response = client.post(
            url("payment_receive", owing),
            payment_form(amount="400", method="mpesa", mpesa_code=" nlj7 rt61sv "),
        )
        payment = CreditPayment.objects.get()
        assert response.status_code == 302 and response.url == payment.get_absolute_url()
        assert (payment.amount, payment.balance_before, payment.balance_after) == (
            Decimal("400.00"),
            Decimal("1000.00"),
            Decimal("600.00"),
        )
        assert (payment.method, payment.mpesa_code, payment.received_by) == (
            "mpesa",
            "NLJ7RT61SV",
            cashier,
        )
        owing.refresh_from_db()
        assert owing.credit_balance == Decimal("600.00")
        assert messages_of(response) == [
            "Payment of KES 400.00 received from Wanjala Barasa. Balance now KES 600.00."
        ]

    def test_the_full_amount_by_cash_with_commas_clears_the_balance(self, client, cashier, owing):
        client.force_login(cashier)
        client.post(
            url("payment_receive", owing),
            payment_form(amount="1,000.00", mpesa_code="IGNORED123"),
        )
        payment = CreditPayment.objects.get()
        assert (payment.method, payment.mpesa_code, payment.balance_after) == (
            "cash",
            "",
            Decimal("0.00"),
        )
        assert not MpesaCode.objects.exists()

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"amount": "0"}, "The amount paid must be more than zero."),
            ({"amount": "-50"}, "The amount paid must be more than zero."),
            (
                {"amount": "1000.01"},
                "KES 1,000.01 is more than the KES 1,000.00 that Wanjala Barasa owes.",
            ),
            ({"amount": ""}, "Enter the amount paid."),
            ({"amount": "abc"}, "Enter the amount paid as a number"),
            ({"amount": "NaN"}, "Enter the amount paid as a number"),
            ({"amount": "10.005"}, "no more than 2 decimal places"),
            ({"method": "cheque"}, "Choose Cash or M-Pesa."),
            ({"method": ""}, "Choose Cash or M-Pesa."),
            ({"method": "mpesa", "mpesa_code": ""}, "Enter the M-Pesa code"),
            ({"method": "mpesa", "mpesa_code": "ABC123"}, "10 letters and digits"),
            ({"method": "mpesa", "mpesa_code": "ABC123456!"}, "10 letters and digits"),
            ({"form_token": ""}, "This payment form is out of date"),
            ({"form_token": "not-a-uuid"}, "This payment form is out of date"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client, cashier, owing, fields, message
    ):
        client.force_login(cashier)
        before = state(owing)
        response = client.post(url("payment_receive", owing), payment_form(**fields))
        assert response.status_code == 200
        assert message in response.content.decode()
        assert state(owing) == before

    def test_a_token_sent_blank_gets_a_fresh_one(self, client, cashier, owing):
        client.force_login(cashier)
        response = client.post(url("payment_receive", owing), payment_form(form_token=""))
        fresh = response.context["form"]["form_token"].value()
        assert uuid.UUID(str(fresh))
        client.post(url("payment_receive", owing), payment_form(form_token=fresh))
        assert CreditPayment.objects.count() == 1

    def test_a_reused_mpesa_code_is_refused(self, client, cashier, owing, a_payment):
        till_sale = sell(cashier=cashier, total="50", payment_method="mpesa")
        client.force_login(cashier)
        for used in (a_payment.mpesa_code.lower(), till_sale.payment.mpesa_code):
            before = state(owing)
            response = client.post(
                url("payment_receive", owing),
                payment_form(amount="100", method="mpesa", mpesa_code=used),
            )
            assert f"M-Pesa code {used.upper()} has already been used." in response.content.decode()
            assert state(owing) == before

    def test_a_customer_who_owes_nothing_cannot_pay(self, client, cashier, make_customer):
        customer = make_customer(name="Paid Up")
        client.force_login(cashier)
        before = state(customer)
        response = client.get(url("payment_receive", customer))
        assert response.status_code == 302 and response.url == url("customer_credit", customer)
        assert messages_of(response) == ["Paid Up owes nothing on credit."]
        response = client.post(url("payment_receive", customer), payment_form(amount="10"))
        assert "Paid Up owes nothing on credit." in response.content.decode()
        assert state(customer) == before

    def test_a_double_submit_records_one_payment(self, client, cashier, owing):
        client.force_login(cashier)
        form = payment_form(amount="600", method="mpesa", mpesa_code="DBL1234567")
        first = client.post(url("payment_receive", owing), form)
        second = client.post(url("payment_receive", owing), form)
        payment = CreditPayment.objects.get()
        assert first.url == second.url == payment.get_absolute_url()
        assert messages_of(second)[-1] == "This payment was already recorded; here is its receipt."
        owing.refresh_from_db()
        assert owing.credit_balance == Decimal("400.00")
        assert CreditEntry.objects.filter(kind="payment").count() == 1

    def test_a_double_submit_of_the_full_amount_records_one_payment(self, client, cashier, owing):
        client.force_login(cashier)
        form = payment_form(amount="1000")
        client.post(url("payment_receive", owing), form)
        again = client.post(url("payment_receive", owing), form)
        assert again.status_code == 302
        assert again.url == CreditPayment.objects.get().get_absolute_url()


class TestPaymentReceipt:
    def test_receipt_shows_the_payment_and_both_balances(self, client, cashier, owing):
        payment = credit_payment_receive(
            actor=cashier,
            customer=owing,
            amount="350.50",
            method="mpesa",
            mpesa_code="RCP1234567",
            received_at=datetime(2025, 3, 1, 21, 30, tzinfo=ZoneInfo("UTC")),
        )
        cashier.first_name, cashier.last_name = "Neema", "Wambui"
        cashier.save()
        client.force_login(cashier)
        response = client.get(payment.get_absolute_url())
        content = response.content.decode()
        assert (
            f'Payment on account No.</span><span data-testid="receipt-payment-number">{payment.pk}<'
            in content
        )
        for testid, text in [
            ("receipt-time", "2 Mar 2025, 00:30"),  # 21:30 UTC is past midnight in Nairobi
            ("receipt-customer", "Wanjala Barasa"),
            ("receipt-phone", "+254712000999"),
            ("receipt-payment-method", "M-Pesa"),
            ("receipt-mpesa-code", "RCP1234567"),
            ("receipt-amount", "350.50"),
            ("receipt-balance-before", "1,000.00"),
            ("receipt-balance-after", "649.50"),
            ("receipt-received-by", "Neema Wambui"),
        ]:
            assert f'data-testid="{testid}">{text}<' in content, testid
        assert "Duka Back Office".upper() in content.upper()
        assert "data-print" in content and "js/print.js" in content and "css/receipt.css" in content
        assert url("customer_credit", owing) in content

    def test_a_cash_receipt_has_no_mpesa_code(self, client, cashier, owing):
        payment = credit_payment_receive(actor=cashier, customer=owing, amount="10", method="cash")
        client.force_login(cashier)
        content = client.get(payment.get_absolute_url()).content.decode()
        assert 'data-testid="receipt-payment-method">Cash<' in content
        assert "receipt-mpesa-code" not in content


def adjust_form(**fields) -> dict:
    return {"form_token": str(uuid.uuid4()), **fields}


class TestAdjust:
    def test_manager_adjusts_up_and_down_with_a_reason(self, client, manager, owing):
        client.force_login(manager)
        response = client.post(
            url("credit_adjust", owing), adjust_form(amount="+200", reason="  Delivery   charge ")
        )
        assert response.status_code == 302 and response.url == url("customer_credit", owing)
        assert messages_of(response) == [
            "Adjustment of +KES 200.00 recorded for Wanjala Barasa. Balance now KES 1,200.00."
        ]
        client.post(url("credit_adjust", owing), adjust_form(amount="-1,200", reason="Written off"))
        entries = CreditEntry.objects.filter(kind="adjustment").order_by("pk")
        assert [(e.amount, e.reason, e.created_by) for e in entries] == [
            (Decimal("200.00"), "Delivery charge", manager),
            (Decimal("-1200.00"), "Written off", manager),
        ]
        owing.refresh_from_db()
        assert owing.credit_balance == Decimal("0.00")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"amount": "100", "reason": ""}, "Give a reason for the adjustment."),
            ({"amount": "100", "reason": "   "}, "Give a reason for the adjustment."),
            ({"amount": "100"}, "Give a reason for the adjustment."),
            ({"amount": "0", "reason": "Typo"}, "An adjustment cannot be zero."),
            ({"amount": "", "reason": "Typo"}, "Enter the adjustment as an amount."),
            ({"amount": "ten", "reason": "Typo"}, "Enter the adjustment as an amount"),
            ({"amount": "-1000.01", "reason": "Write-off"}, "would leave the shop owing"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client, manager, owing, data, message
    ):
        client.force_login(manager)
        before = state(owing)
        response = client.post(url("credit_adjust", owing), {**data, "form_token": uuid.uuid4()})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert state(owing) == before

    def test_a_resent_adjustment_form_adjusts_once(self, client, manager, owing):
        client.force_login(manager)
        form = adjust_form(amount="-100", reason="Damaged bag")
        client.post(url("credit_adjust", owing), form)
        again = client.post(url("credit_adjust", owing), form)
        assert again.status_code == 302
        assert messages_of(again)[-1] == "This adjustment was already recorded."
        assert CreditEntry.objects.filter(kind="adjustment").count() == 1
        owing.refresh_from_db()
        assert owing.credit_balance == Decimal("900.00")

    def test_an_adjustment_form_without_its_token_is_refused(self, client, manager, owing):
        client.force_login(manager)
        before = state(owing)
        response = client.post(url("credit_adjust", owing), {"amount": "50", "reason": "Fee"})
        assert "This adjustment form is out of date" in response.content.decode()
        assert state(owing) == before


class TestCreditLimit:
    def test_manager_sets_the_limit_and_sees_its_history(
        self, client, manager, admin_role_user, make_customer
    ):
        customer = make_customer(name="Kavata Mwende")  # created with no credit
        client.force_login(manager)
        response = client.get(url("credit_limit", customer))
        assert response.context["form"]["credit_limit"].value() == Decimal("0.00")
        assert "The credit limit has never been set." in response.content.decode()
        response = client.post(url("credit_limit", customer), {"credit_limit": "5,000"})
        assert response.status_code == 302 and response.url == url("customer_credit", customer)
        assert messages_of(response) == ["Credit limit of Kavata Mwende set to KES 5,000.00."]
        # An edit that leaves the limit alone is not a change of limit.
        customer.refresh_from_db()
        from customers.services import customer_update

        customer_update(actor=manager, customer=customer, notes="Pays on Fridays")
        credit_limit_set(actor=admin_role_user, customer=customer, credit_limit="0")
        response = client.get(url("credit_limit", customer))
        history = response.context["limit_history"]
        assert [(c["who"], c["old"], c["new"]) for c in history] == [
            (admin_role_user, Decimal("5000.00"), Decimal("0.00")),
            (manager, Decimal("0.00"), Decimal("5000.00")),
        ]
        content = response.content.decode()
        assert content.count('data-testid="limit-change"') == 2
        assert "5,000.00" in content

    def test_a_limit_given_at_creation_is_its_first_entry(self, client, manager, owing):
        client.force_login(manager)
        history = client.get(url("credit_limit", owing)).context["limit_history"]
        assert [(c["who"], c["old"], c["new"]) for c in history] == [
            (manager, None, Decimal("5000.00"))
        ]

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("-1", "A credit limit cannot be below zero."),
            ("", "Enter the credit limit as an amount."),
            ("lots", "Enter the credit limit as an amount"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_changes(
        self, client, manager, owing, value, message
    ):
        client.force_login(manager)
        before = state(owing)
        response = client.post(url("credit_limit", owing), {"credit_limit": value})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert state(owing) == before

    def test_zero_means_no_credit(self, client, manager, owing):
        client.force_login(manager)
        client.post(url("credit_limit", owing), {"credit_limit": "0"})
        owing.refresh_from_db()
        assert (owing.credit_limit, owing.available_credit) == (Decimal("0.00"), 0)
        assert "no credit" in client.get(url("customer_credit", owing)).content.decode()


class TestStatement:
    @pytest.fixture
    def history(self, make_customer, cashier, manager):
        customer = make_customer(name="Syombua Ndeti", credit_limit="100000")
        sell(
            cashier=cashier,
            customer=customer,
            total="1000",
            payment_method="credit",
            sold_at=days_ago(40),
        )
        credit_payment_receive(
            actor=cashier, customer=customer, amount="300", method="cash", received_at=days_ago(35)
        )
        sell(
            cashier=cashier,
            customer=customer,
            total="500",
            payment_method="credit",
            sold_at=days_ago(10),
        )
        credit_adjust(
            actor=manager, customer=customer, amount="50", reason="Bank charge", at=days_ago(5)
        )
        credit_payment_receive(
            actor=cashier,
            customer=customer,
            amount="200",
            method="mpesa",
            mpesa_code="STM1234567",
            received_at=days_ago(2),
        )
        return customer

    def test_opening_entries_running_balance_and_closing(self, client, manager, history):
        client.force_login(manager)
        start, end = TODAY - timedelta(days=20), TODAY - timedelta(days=3)
        response = client.get(
            url("statement", history), {"start": start.isoformat(), "end": end.isoformat()}
        )
        statement = response.context["statement"]
        assert (statement["opening"], statement["closing"]) == (
            Decimal("700.00"),
            Decimal("1250.00"),
        )
        assert [(line["entry"].kind, line["balance"]) for line in statement["lines"]] == [
            ("sale", Decimal("1200.00")),
            ("adjustment", Decimal("1250.00")),
        ]
        assert (statement["charged"], statement["credited"]) == (Decimal("550.00"), 0)
        content = response.content.decode()
        assert 'data-testid="statement-opening">700.00<' in content
        assert 'data-testid="statement-closing">1,250.00<' in content
        assert "Bank charge" in content and "Syombua Ndeti" in content
        assert "data-print" in content and "css/invoice.css" in content

    def test_a_period_to_today_ends_at_the_current_balance(self, client, manager, history):
        client.force_login(manager)
        start = TODAY - timedelta(days=60)
        response = client.get(
            url("statement", history), {"start": start.isoformat(), "end": TODAY.isoformat()}
        )
        statement = response.context["statement"]
        assert (statement["opening"], statement["closing"]) == (Decimal("0.00"), Decimal("1050.00"))
        assert (statement["charged"], statement["credited"]) == (
            Decimal("1550.00"),
            Decimal("500.00"),
        )
        history.refresh_from_db()
        assert statement["closing"] == history.credit_balance
        content = response.content.decode()
        assert content.count('data-testid="statement-line"') == 5
        assert "STM1234567" in content

    def test_defaults_to_this_month_so_far(self, client, manager, owing):
        client.force_login(manager)
        response = client.get(url("statement", owing))
        statement = response.context["statement"]
        assert (statement["start"], statement["end"]) == (TODAY.replace(day=1), TODAY)
        assert statement["closing"] == Decimal("1000.00")
        printed = timezone.localtime(response.context["printed_at"])
        assert f"{printed.day} {printed:%b %Y}, {printed:%H:%M}" in response.content.decode()

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"start": "2025-03-10", "end": "2025-03-01"}, "The period ends before it starts"),
            ({"start": "2025-02-30", "end": "2025-03-01"}, "Enter a valid date."),
            ({"start": "", "end": "2025-03-01"}, "Enter the first day of the period."),
            ({"end": "2025-03-01"}, "Enter the first day of the period."),
        ],
    )
    def test_a_bad_period_is_explained(self, client, manager, owing, params, message):
        client.force_login(manager)
        response = client.get(url("statement", owing), params)
        assert response.status_code == 200
        assert response.context["statement"] is None
        assert message in response.content.decode()


class TestCustomerTable:
    def test_shows_limit_and_available_credit(self, client, manager, cashier, owing, make_customer):
        over = make_customer(name="Over the limit", credit_limit="500")
        sell(cashier=cashier, customer=over, total="400", payment_method="credit")
        credit_limit_set(actor=manager, customer=over, credit_limit="100")
        client.force_login(manager)
        response = client.get(reverse("customers:customer_list"), {"sort": "name"})
        rows = {
            row.record.name: (row.get_cell("credit_limit"), row.get_cell("available_credit"))
            for row in response.context["table"].paginated_rows
        }
        assert rows == {
            "Over the limit": ("100.00", "0.00"),
            "Wanjala Barasa": ("5,000.00", "4,000.00"),
        }
        content = response.content.decode()
        assert "Credit Limit" in content and "Available Credit" in content


def test_receipt_dates_are_in_nairobi_time(client, cashier, owing):
    """A payment taken at 23:30 in Mwingi is dated that day, not the next in UTC."""
    taken = datetime(2025, 6, 30, 23, 30, tzinfo=NAIROBI)
    payment = credit_payment_receive(
        actor=cashier, customer=owing, amount="1", method="cash", received_at=taken
    )
    client.force_login(cashier)
    assert "30 Jun 2025, 23:30" in client.get(payment.get_absolute_url()).content.decode()
