"""The report pages: who may see them, and that their figures are the ledger's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credit.selectors import ageing_by_customer, ageing_summary
from customers.models import CustomerGroup
from tests.factories import sell
from tests.reports.conftest import TODAY, days_ago, ledger_total

pytestmark = pytest.mark.django_db

REPORT_URL = reverse("reports:credit_report")
AGEING_URL = reverse("reports:credit_ageing")
PAYMENTS_URL = reverse("reports:credit_payments")
PAGES = ["index", "credit_report", "credit_ageing", "credit_payments"]
EXPORTS = [
    "credit_report_export",
    "credit_ageing_export",
    "credit_payments_export",
    "credit_sms_reminders",
]


def rows(response) -> list:
    return [row.record for row in response.context["table"].paginated_rows]


def names(response) -> list[str]:
    return [record.name for record in rows(response)]


class TestPermissions:
    @pytest.mark.parametrize("name", PAGES + EXPORTS)
    def test_anonymous_is_sent_to_log_in(self, client, name):
        url = reverse(f"reports:{name}")
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"

    @pytest.mark.parametrize("name", PAGES + EXPORTS)
    def test_cashier_is_refused(self, client, cashier, name):
        client.force_login(cashier)
        assert client.get(reverse(f"reports:{name}")).status_code == 403

    @pytest.mark.parametrize("name", PAGES + EXPORTS)
    @pytest.mark.parametrize("role", ["manager", "admin_role_user"])
    def test_manager_and_admin_may_see_and_export(self, client, request, book, role, name):
        client.force_login(request.getfixturevalue(role))
        response = client.get(reverse(f"reports:{name}"))
        assert response.status_code == 200
        if name in EXPORTS:
            assert response["Content-Type"].startswith("text/csv")
            b"".join(response.streaming_content)

    def test_the_menu_lists_every_report(self, client, manager):
        client.force_login(manager)
        content = client.get(reverse("reports:index")).content.decode()
        for name in ("credit_report", "credit_ageing", "credit_payments", "credit_sms_reminders"):
            assert f'href="{reverse(f"reports:{name}")}"' in content


class TestCreditReport:
    def test_figures_are_the_ledgers_and_the_ageings(self, client, manager, book):
        client.force_login(manager)
        response = client.get(REPORT_URL)
        assert names(response) == ["Amina Current", "Baraka Overdue", "Chebet Old"]
        ageing = ageing_by_customer(TODAY)
        for record in rows(response):
            assert record.balance == ledger_total(record) == ageing[record.pk].outstanding
            assert record.ageing == ageing[record.pk]
        baraka = next(r for r in rows(response) if r.pk == book.baraka.pk)
        assert (baraka.ageing.days_61_90, baraka.ageing.days_31_60) == (
            Decimal("1700.00"),
            Decimal("500.00"),
        )
        assert response.context["outstanding"] == ledger_total() == Decimal("3900.00")
        content = response.content.decode()
        assert 'data-testid="total-outstanding">KES 3,900.00<' in content
        assert f'href="{book.baraka.get_absolute_url()}"' in content
        assert "1,700.00" in content and days_ago(75).strftime("%d %b %Y") in content

    def test_rows_are_striped_from_the_first_whatever_the_page_size(self, client, manager, book):
        client.force_login(manager)
        response = client.get(REPORT_URL)
        assert len(rows(response)) == 3  # an odd page: reading its ageing once moved the stripes
        first_row = response.content.decode().split("<tbody", 1)[1].split("<tr", 2)[1]
        assert first_row.startswith(' class="even"')

    def test_as_of_a_past_day_shows_what_was_owed_then(self, client, manager, book):
        client.force_login(manager)
        day = TODAY - timedelta(days=30)
        response = client.get(REPORT_URL, {"as_of": day.isoformat()})
        # Amina's sale came later; Daudi had not paid yet; Baraka's payment came later.
        assert names(response) == ["Baraka Overdue", "Chebet Old", "Daudi Paid"]
        ageing = ageing_by_customer(day)
        for record in rows(response):
            assert (
                record.balance == ledger_total(record, as_of=day) == ageing[record.pk].outstanding
            )
            assert record.ageing == ageing[record.pk]
        assert {r.name: r.balance for r in rows(response)} == {
            "Baraka Overdue": Decimal("2500.00"),
            "Chebet Old": Decimal("800.00"),
            "Daudi Paid": Decimal("300.00"),
        }
        assert response.context["outstanding"] == ledger_total(as_of=day) == Decimal("3600.00")

    def test_a_day_in_the_future_is_refused_with_a_message(self, client, manager, book):
        client.force_login(manager)
        tomorrow = TODAY + timedelta(days=1)
        response = client.get(REPORT_URL, {"as_of": tomorrow.isoformat()})
        assert response.status_code == 200
        assert rows(response) == []
        assert response.context["outstanding"] is None
        assert "The report cannot look ahead" in response.content.decode()

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"cluster": "dairy"}, ["Amina Current", "Chebet Old"]),
            ({"group": "wholesale"}, ["Baraka Overdue"]),
            ({"village": "kit"}, ["Baraka Overdue"]),
            ({"bucket": "current"}, ["Amina Current"]),
            ({"bucket": "days_31_60"}, ["Baraka Overdue"]),
            ({"bucket": "days_61_90"}, ["Baraka Overdue"]),
            ({"bucket": "over_90"}, ["Chebet Old"]),
            ({"bucket": "over_90", "cluster": "maize"}, []),
            # Day -30: Baraka's 500 (day -40) and Daudi's 300 (day -50) were current, Chebet's
            # 800 (day -120) exactly 90 days old.
            ({"bucket": "current", "as_of": 30}, ["Baraka Overdue", "Daudi Paid"]),
            ({"bucket": "days_61_90", "as_of": 30}, ["Chebet Old"]),
            ({"bucket": "over_90", "as_of": 30}, []),
            ({"village": "mwingi", "as_of": 30}, ["Daudi Paid"]),
        ],
    )
    def test_filters(self, client, manager, book, clusters, params, expected):
        params = dict(params)
        if "cluster" in params:
            params["cluster"] = clusters[0 if params["cluster"] == "dairy" else 1].pk
        if "group" in params:
            params["group"] = CustomerGroup.objects.get(slug=params["group"]).pk
        if "as_of" in params:
            params["as_of"] = (TODAY - timedelta(days=params["as_of"])).isoformat()
        client.force_login(manager)
        assert names(client.get(REPORT_URL, params)) == expected

    def test_an_unknown_bucket_shows_nothing(self, client, manager, book):
        client.force_login(manager)
        response = client.get(REPORT_URL, {"bucket": "over_9000"})
        assert rows(response) == []

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("-balance", ["Baraka Overdue", "Amina Current", "Chebet Old"]),
            ("balance", ["Chebet Old", "Amina Current", "Baraka Overdue"]),
            ("village", ["Baraka Overdue", "Chebet Old", "Amina Current"]),
            ("-name", ["Chebet Old", "Baraka Overdue", "Amina Current"]),
            ("credit_limit", ["Chebet Old", "Amina Current", "Baraka Overdue"]),
        ],
    )
    def test_sorts(self, client, manager, book, sort, expected):
        client.force_login(manager)
        assert names(client.get(REPORT_URL, {"sort": sort})) == expected

    def test_ageing_columns_are_not_sortable(self, client, manager, book):
        client.force_login(manager)
        table = client.get(REPORT_URL).context["table"]
        sortable = {column.name for column in table.columns if column.orderable}
        assert sortable == {"name", "village", "balance", "credit_limit"}

    def test_a_fixed_number_of_queries_whatever_the_page_size(
        self, client, manager, make_customer, cashier, django_assert_max_num_queries
    ):
        for number in range(120):
            customer = make_customer(name=f"Owing {number:03d}", credit_limit=Decimal("5000"))
            sell(cashier=cashier, customer=customer, total="100", payment_method="credit")
        client.force_login(manager)
        counts = {}
        for per_page in (10, 100):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(REPORT_URL, {"per_page": per_page, "sort": "-balance"})
            assert len(rows(response)) == per_page
            counts[per_page] = len(queries)
        # Session, user, 2 x permissions, the page, the page's ageing, the total, clusters,
        # groups.
        assert counts[10] == counts[100] == 9
        with django_assert_max_num_queries(10):
            client.get(REPORT_URL, {"per_page": 100, "page": 2, "as_of": days_ago(1).date()})
        # The bucket filter adds one: the ageing of everyone the other filters leave.
        with django_assert_max_num_queries(11):
            client.get(REPORT_URL, {"per_page": 100, "bucket": "current"})


class TestAgeingSummary:
    def test_table_and_chart_show_the_summary(self, client, manager, book):
        client.force_login(manager)
        response = client.get(AGEING_URL)
        summary = response.context["summary"]
        assert summary == ageing_summary(TODAY)
        assert summary["outstanding"] == ledger_total() == Decimal("3900.00")
        amounts = {bucket["name"]: bucket["amount"] for bucket in summary["buckets"]}
        assert amounts == {
            "current": Decimal("1000.00"),
            "days_31_60": Decimal("500.00"),
            "days_61_90": Decimal("1700.00"),
            "over_90": Decimal("700.00"),
        }
        content = response.content.decode()
        assert 'data-testid="ageing-total">KES 3,900.00<' in content
        assert 'data-chart="ageing-data"' in content and 'id="ageing-data"' in content
        chart = response.context["chart"].as_json_data()
        assert chart["labels"] == [
            "Current (0-30 days)",
            "31-60 days",
            "61-90 days",
            "Over 90 days",
        ]
        assert chart["series"][0]["data"] == [1000.0, 500.0, 1700.0, 700.0]
        assert chart["money"] and chart["kind"] == "horizontal-bar"

    def test_as_of_a_past_day(self, client, manager, book):
        client.force_login(manager)
        day = TODAY - timedelta(days=30)
        response = client.get(AGEING_URL, {"as_of": day.isoformat()})
        assert response.context["summary"]["outstanding"] == ledger_total(as_of=day)
        assert response.context["summary"] == ageing_summary(day)

    def test_nothing_owed_draws_empty_bars(self, client, manager):
        client.force_login(manager)
        response = client.get(AGEING_URL)
        assert response.context["summary"]["outstanding"] == 0
        assert response.context["chart"].as_json_data()["series"][0]["data"] == [0, 0, 0, 0]

    def test_a_day_in_the_future_is_refused(self, client, manager, book):
        client.force_login(manager)
        response = client.get(AGEING_URL, {"as_of": (TODAY + timedelta(days=3)).isoformat()})
        assert response.context["summary"] is None
        assert "The report cannot look ahead" in response.content.decode()


class TestPaymentHistory:
    def payments(self, response) -> list:
        return rows(response)

    def test_lists_every_payment_newest_first_with_totals(self, client, manager, book):
        client.force_login(manager)
        response = client.get(PAYMENTS_URL)
        assert self.payments(response) == [
            book.mpesa_payment,
            book.cash_payment,
            book.daudi_payment,
        ]
        assert response.context["totals"] == {"count": 3, "amount": Decimal("700.00")}
        content = response.content.decode()
        assert "3 payments" in content and "KES 700.00" in content
        assert book.mpesa_payment.mpesa_code in content

    @pytest.mark.parametrize(
        ("params", "expected", "amount"),
        [
            ({"method": "mpesa"}, ["mpesa_payment"], "100.00"),
            ({"method": "cash"}, ["cash_payment", "daudi_payment"], "600.00"),
            ({"cashier": "manager"}, ["mpesa_payment"], "100.00"),
            ({"date_from": 5}, ["mpesa_payment", "cash_payment"], "400.00"),
            ({"date_from": 20, "date_to": 5}, ["cash_payment", "daudi_payment"], "600.00"),
            ({"date_from": 20, "date_to": 20}, ["daudi_payment"], "300.00"),
            ({"date_to": 21}, [], "0.00"),
            ({"method": "cash", "cashier": "cashier", "date_to": 10}, ["daudi_payment"], "300.00"),
            ({"customer": "baraka"}, ["cash_payment"], "300.00"),
        ],
    )
    def test_filters_and_their_totals(
        self, client, manager, cashier, book, params, expected, amount
    ):
        params = dict(params)
        if "cashier" in params:
            params["cashier"] = {"manager": manager, "cashier": cashier}[params["cashier"]].pk
        for key in ("date_from", "date_to"):
            if key in params:
                params[key] = (TODAY - timedelta(days=params[key])).isoformat()
        client.force_login(manager)
        response = client.get(PAYMENTS_URL, params)
        assert self.payments(response) == [getattr(book, name) for name in expected]
        assert response.context["totals"] == {"count": len(expected), "amount": Decimal(amount)}

    def test_a_to_date_before_the_from_date_is_refused(self, client, manager, book):
        client.force_login(manager)
        response = client.get(
            PAYMENTS_URL,
            {"date_from": TODAY.isoformat(), "date_to": (TODAY - timedelta(days=1)).isoformat()},
        )
        assert self.payments(response) == []
        assert response.context["totals"]["count"] == 0
