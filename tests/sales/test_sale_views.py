"""The sales list (filters, sorting, paging, CSV export), a sale's page and who may see them."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.roles import CASHIER
from sales.models import Product, Sale
from sales.services import sale_void
from tests.conftest import make_user
from tests.factories import sell
from tests.tables import next_page_url, table_pages

pytestmark = pytest.mark.django_db

NAIROBI = ZoneInfo("Africa/Nairobi")
LIST_URL = reverse("sales:sale_list")
CSV_URL = reverse("sales:sale_export_csv")
CSV_HEADER = [
    "Sale number",
    "Time",
    "Customer",
    "Cashier",
    "Payment method",
    "Total",
    "Status",
]


def listed(response) -> list[int]:
    assert response.status_code == 200
    return [row.record.pk for row in response.context["table"].paginated_rows]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def nairobi(*args) -> datetime:
    return datetime(*args, tzinfo=NAIROBI)


def detail_url(sale) -> str:
    return reverse("sales:sale_detail", args=[sale.pk])


def void_url(sale) -> str:
    return reverse("sales:sale_void", args=[sale.pk])


@pytest.fixture
def a_sale(cashier, make_customer):
    return sell(cashier=cashier, customer=make_customer(), total="120", payment_method="cash")


class TestPermissions:
    def test_anonymous_users_are_sent_to_the_login_page(self, client, a_sale):
        for url in (LIST_URL, CSV_URL, detail_url(a_sale), void_url(a_sale)):
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response.url, url
        response = client.post(void_url(a_sale), {"reason": "test"})
        assert response.status_code == 302 and "/login/" in response.url
        a_sale.refresh_from_db()
        assert not a_sale.is_voided

    def test_a_user_without_a_role_gets_403_everywhere(self, client, no_role_user, a_sale):
        client.force_login(no_role_user)
        for url in (LIST_URL, CSV_URL, detail_url(a_sale), void_url(a_sale)):
            assert client.get(url).status_code == 403, url
        assert client.post(void_url(a_sale), {"reason": "test"}).status_code == 403

    def test_cashier_may_see_sales_but_not_export_or_void(self, client, cashier, a_sale):
        client.force_login(cashier)
        assert client.get(LIST_URL).status_code == 200
        assert client.get(detail_url(a_sale)).status_code == 200
        assert client.get(CSV_URL).status_code == 403
        assert client.get(void_url(a_sale)).status_code == 403
        assert client.post(void_url(a_sale), {"reason": "customer changed mind"}).status_code == 403
        a_sale.refresh_from_db()
        assert not a_sale.is_voided

    def test_cashier_does_not_see_buttons_they_may_not_use(self, client, cashier, a_sale):
        client.force_login(cashier)
        assert b"Export to CSV" not in client.get(LIST_URL).content
        detail = client.get(detail_url(a_sale)).content.decode()
        assert void_url(a_sale) not in detail
        assert reverse("sales:sale_receipt", args=[a_sale.pk]) in detail

    @pytest.mark.parametrize("role_user", ["manager", "admin_role_user"])
    def test_manager_and_admin_may_do_everything(self, client, request, role_user, a_sale):
        client.force_login(request.getfixturevalue(role_user))
        for url in (LIST_URL, CSV_URL, detail_url(a_sale), void_url(a_sale)):
            assert client.get(url).status_code == 200, url
        assert b"Export to CSV" in client.get(LIST_URL).content
        assert void_url(a_sale) in client.get(detail_url(a_sale)).content.decode()

    def test_unknown_sale_is_404(self, client, manager):
        client.force_login(manager)
        assert client.get(reverse("sales:sale_detail", args=[424242])).status_code == 404
        assert client.get(reverse("sales:sale_void", args=[424242])).status_code == 404
        assert (
            client.post(reverse("sales:sale_void", args=[424242]), {"reason": "x"}).status_code
            == 404
        )


class TestFilters:
    def test_date_range_is_inclusive_in_nairobi_time(self, client, manager, cashier):
        # Nairobi is UTC+3: 00:30 on the 10th is still the 9th in UTC.
        before = sell(
            cashier=cashier, total="1", payment_method="cash", sold_at=nairobi(2024, 3, 9, 23, 59)
        )
        early = sell(
            cashier=cashier, total="1", payment_method="cash", sold_at=nairobi(2024, 3, 10, 0, 30)
        )
        late = sell(
            cashier=cashier,
            total="1",
            payment_method="cash",
            sold_at=nairobi(2024, 3, 10, 23, 59, 59),
        )
        after = sell(
            cashier=cashier, total="1", payment_method="cash", sold_at=nairobi(2024, 3, 11, 0, 0)
        )
        client.force_login(manager)
        one_day = {"date_from": "2024-03-10", "date_to": "2024-03-10"}
        assert listed(client.get(LIST_URL, one_day)) == [late.pk, early.pk]
        assert listed(client.get(LIST_URL, {"date_from": "2024-03-10"})) == [
            after.pk,
            late.pk,
            early.pk,
        ]
        assert listed(client.get(LIST_URL, {"date_to": "2024-03-10"})) == [
            late.pk,
            early.pk,
            before.pk,
        ]

    def test_a_to_date_before_the_from_date_is_explained(self, client, manager, a_sale):
        client.force_login(manager)
        response = client.get(LIST_URL, {"date_from": "2024-03-10", "date_to": "2024-03-01"})
        assert listed(response) == []
        assert "“to” date is before the “from” date" in response.content.decode()

    @pytest.mark.parametrize(
        "params",
        [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}, {"date_from": "0001-01-02"}],
    )
    def test_dates_at_the_ends_of_the_calendar_bound_nothing(self, client, manager, a_sale, params):
        client.force_login(manager)
        assert listed(client.get(LIST_URL, params)) == [a_sale.pk]

    def test_cashier_filter_lists_shop_staff_by_full_name(self, client, manager, cashier):
        cashier.first_name, cashier.last_name = "Achieng", "Otieno"
        cashier.save()
        other = make_user("second-till", CASHIER)
        outsider = make_user("not-staff", None)
        mine = sell(cashier=cashier, total="10", payment_method="cash")
        sell(cashier=other, total="20", payment_method="cash")
        client.force_login(manager)
        response = client.get(LIST_URL, {"cashier": cashier.pk})
        assert listed(response) == [mine.pk]
        choices = dict(response.context["filter"].form.fields["cashier"].choices)
        labels = {str(label) for label in choices.values()}
        assert {"Achieng Otieno", "second-till", "manager"} <= labels
        assert "not-staff" not in labels
        assert listed(client.get(LIST_URL, {"cashier": outsider.pk})) == []

    @pytest.mark.parametrize("typed", ["0712 345 678", "+254712345678", "254712345678", "kipro"])
    def test_customer_filter_by_name_or_phone_typed_any_way(
        self, client, manager, cashier, make_customer, typed
    ):
        kiprono = make_customer(name="Kiprono Ruto", phone="+254712345678")
        other = make_customer(name="Other Person", phone="+254733999888")
        wanted = sell(cashier=cashier, customer=kiprono, total="10", payment_method="cash")
        sell(cashier=cashier, customer=other, total="10", payment_method="cash")
        sell(cashier=cashier, total="10", payment_method="cash")  # walk-in
        client.force_login(manager)
        assert listed(client.get(LIST_URL, {"customer": typed})) == [wanted.pk]

    def test_customer_filter_is_a_text_box_not_a_list_of_customers(self, client, manager):
        client.force_login(manager)
        response = client.get(LIST_URL)
        assert 'name="customer"' in response.content.decode()
        assert not hasattr(response.context["filter"].form.fields["customer"], "queryset")

    def test_payment_method_cluster_and_status(
        self, client, manager, cashier, make_customer, clusters
    ):
        dairy = make_customer(clusters=[clusters[0]], credit_limit=Decimal("1000"))
        maize = make_customer(name="Maize", clusters=[clusters[1]])
        cash = sell(cashier=cashier, customer=dairy, total="10", payment_method="cash")
        mpesa = sell(cashier=cashier, customer=maize, total="20", payment_method="mpesa")
        credit = sell(cashier=cashier, customer=dairy, total="30", payment_method="credit")
        walk_in = sell(cashier=cashier, total="40", payment_method="cash")
        sale_void(actor=manager, sale=cash, reason="Rang up twice")
        client.force_login(manager)
        assert listed(client.get(LIST_URL, {"payment_method": "cash"})) == [walk_in.pk, cash.pk]
        assert listed(client.get(LIST_URL, {"payment_method": "mpesa"})) == [mpesa.pk]
        assert listed(client.get(LIST_URL, {"cluster": clusters[0].pk})) == [credit.pk, cash.pk]
        assert listed(client.get(LIST_URL, {"cluster": clusters[1].pk})) == [mpesa.pk]
        assert listed(client.get(LIST_URL, {"status": "voided"})) == [cash.pk]
        assert listed(client.get(LIST_URL, {"status": "completed"})) == [
            walk_in.pk,
            credit.pk,
            mpesa.pk,
        ]
        assert len(listed(client.get(LIST_URL, {"status": ""}))) == 4

    def test_filters_combine(self, client, manager, cashier, make_customer, clusters):
        dairy = make_customer(clusters=[clusters[0]])
        wanted = sell(cashier=cashier, customer=dairy, total="10", payment_method="mpesa")
        sell(cashier=cashier, customer=dairy, total="10", payment_method="cash")
        sell(cashier=manager, customer=dairy, total="10", payment_method="mpesa")
        client.force_login(manager)
        today = timezone.localdate().isoformat()
        params = {
            "cluster": clusters[0].pk,
            "payment_method": "mpesa",
            "cashier": cashier.pk,
            "date_from": today,
            "date_to": today,
            "status": "completed",
        }
        assert listed(client.get(LIST_URL, params)) == [wanted.pk]

    @pytest.mark.parametrize(
        "params",
        [
            {"cluster": "999999"},
            {"cluster": "abc"},
            {"cashier": "<script>"},
            {"cashier": "999999"},
            {"payment_method": "bitcoin"},
            {"status": "deleted"},
            {"date_from": "2024-13-45"},
            {"date_to": "yesterday"},
            {"date_from": "99999-01-01"},
            {"cluster": "'; DROP TABLE sales_sale; --"},
        ],
    )
    def test_unknown_filter_values_give_an_empty_table_and_a_message(
        self, client, manager, a_sale, params
    ):
        client.force_login(manager)
        response = client.get(LIST_URL, params)
        assert listed(response) == []
        assert b"Some filters were not understood" in response.content

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "password"},
            {"sort": "-__class__"},
            {"sort": "cashier__password"},
            {"page": "abc"},
            {"page": "-3"},
            {"page": "99999"},
            {"per_page": "100000000"},
            {"per_page": "zero"},
            {"customer": "x" * 5000},
            {"customer": "%_\\'\""},
        ],
    )
    def test_tampered_sort_paging_and_search_never_fail(self, client, manager, a_sale, params):
        client.force_login(manager)
        assert len(listed(client.get(LIST_URL, params))) <= 100


class TestTable:
    def test_columns(self, client, manager, cashier, make_customer):
        cashier.first_name, cashier.last_name = "Achieng", "Otieno"
        cashier.save()
        customer = make_customer(name="Mutua Musyoka")
        named = sell(
            cashier=cashier,
            customer=customer,
            total="1234.5",
            payment_method="mpesa",
            sold_at=nairobi(2024, 3, 10, 0, 30),
        )
        sell(cashier=cashier, total="7", payment_method="cash", sold_at=nairobi(2024, 3, 9, 8, 0))
        client.force_login(manager)
        response = client.get(LIST_URL)
        html = response.content.decode()
        assert f'href="{detail_url(named)}"' in html
        assert f'data-href="{detail_url(named)}"' in html
        assert "10 Mar 2024 00:30" in html  # Nairobi time, not UTC (21:30 on the 9th)
        assert "Mutua Musyoka" in html and "Walk-in" in html
        assert "Achieng Otieno" in html and "M-Pesa" in html
        assert "1,234.50" in html and "7.00" in html
        assert "Completed" in html

    def test_voided_sale_stays_listed_and_is_marked(self, client, manager, a_sale):
        sale_void(actor=manager, sale=a_sale, reason="Wrong customer")
        client.force_login(manager)
        response = client.get(LIST_URL)
        assert listed(response) == [a_sale.pk]
        html = response.content.decode()
        assert "Voided" in html and "sale-voided" in html

    def test_sorting_by_total_and_paging_never_skips_or_repeats(self, client, manager, cashier):
        sales = [sell(cashier=cashier, total="5", payment_method="cash") for _ in range(7)]
        client.force_login(manager)
        pages = table_pages(client, LIST_URL, {"sort": "-total", "per_page": 3})
        assert len(pages) == 3
        seen = [sale.pk for page in pages for sale in page]
        assert sorted(seen) == sorted(sale.pk for sale in sales)

    @pytest.mark.parametrize(
        "sort",
        [
            "number",
            "-number",
            "sold_at",
            "customer",
            "-cashier",
            "payment_method",
            "total",
            "status",
        ],
    )
    def test_every_column_sorts(self, client, manager, cashier, make_customer, sort):
        sell(cashier=cashier, customer=make_customer(), total="5", payment_method="cash")
        sell(cashier=cashier, total="9", payment_method="mpesa")
        client.force_login(manager)
        assert len(listed(client.get(LIST_URL, {"sort": sort}))) == 2

    def test_sort_by_total(self, client, manager, cashier):
        small = sell(cashier=cashier, total="5", payment_method="cash")
        big = sell(cashier=cashier, total="500", payment_method="cash")
        middle = sell(cashier=cashier, total="50", payment_method="cash")
        client.force_login(manager)
        assert listed(client.get(LIST_URL, {"sort": "total"})) == [small.pk, middle.pk, big.pk]
        assert listed(client.get(LIST_URL, {"sort": "-total"})) == [big.pk, middle.pk, small.pk]

    def test_customer_names_are_shown_as_text_not_html(
        self, client, manager, cashier, make_customer
    ):
        customer = make_customer(name="<script>alert(1)</script>")
        sell(cashier=cashier, customer=customer, total="1", payment_method="cash")
        client.force_login(manager)
        content = client.get(LIST_URL).content
        assert b"<script>alert(1)</script>" not in content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content

    def test_the_list_runs_the_same_number_of_queries_whatever_the_page_size(
        self, client, manager, cashier, make_customer, clusters, django_assert_num_queries
    ):
        customers = [make_customer(name=f"Customer {n:02d}") for n in range(10)]
        for number in range(105):
            sell(cashier=cashier, customer=customers[number % 10], total="5", payment_method="cash")
        for _ in range(5):
            sell(cashier=cashier, total="5", payment_method="cash")  # walk-ins: in no cluster
        client.force_login(manager)
        counts = {}
        for per_page in (10, 100):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(
                    LIST_URL,
                    {"per_page": per_page, "sort": "-total", "cluster": clusters[0].pk},
                )
            assert len(listed(response)) == per_page
            assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
            counts[per_page] = len(queries)
        assert counts[10] == counts[100]
        # Session, user, permissions, the cashier and cluster dropdowns, the page of rows.
        # A Next page reads the rows sharing the last row's value, then those beyond it
        # (core.pagination): one read more than the first page, whatever its size.
        second = next_page_url(client, LIST_URL, {"per_page": 10, "cluster": clusters[0].pk})
        with django_assert_num_queries(counts[10] + 1):
            client.get(second)


class TestDetail:
    def test_shows_lines_at_the_price_they_were_sold_at(
        self, client, manager, cashier, make_customer
    ):
        customer = make_customer(name="Njeri Wambui")
        sale = sell(cashier=cashier, customer=customer, total="250", payment_method="mpesa")
        line = sale.lines.get()
        Product.objects.filter(pk=line.product_id).update(name="Renamed", retail_price=999)
        client.force_login(manager)
        html = client.get(detail_url(sale)).content.decode()
        assert line.product_name in html and "Renamed" not in html
        assert "250.00" in html and "999" not in html
        assert sale.payment.mpesa_code in html
        assert f'href="{customer.get_absolute_url()}"' in html
        assert "cashier" in html
        assert "Completed" in html

    def test_cash_sale_shows_what_was_tendered_and_the_change(self, client, manager, cashier):
        from sales.services import sale_complete
        from tests.factories import make_product

        sale = sale_complete(
            cashier=cashier,
            customer=None,
            lines=[(make_product(retail_price="370"), Decimal("2"))],
            payment_method="cash",
            cash_tendered=Decimal("1000"),
        )
        client.force_login(manager)
        html = client.get(detail_url(sale)).content.decode()
        assert "Cash tendered" in html and "1,000.00" in html
        assert "260.00" in html  # change
        assert "Walk-in" in html

    def test_credit_sale_shows_its_ledger_entries(self, client, manager, cashier, make_customer):
        customer = make_customer(credit_limit=Decimal("1000"))
        sale = sell(cashier=cashier, customer=customer, total="300", payment_method="credit")
        client.force_login(manager)
        html = client.get(detail_url(sale)).content.decode()
        assert 'data-testid="credit-entries"' in html and "Credit sale" in html

    def test_invoice_button_only_for_a_sale_with_a_customer(
        self, client, cashier, no_role_user, a_sale
    ):
        walk_in = sell(cashier=cashier, total="10", payment_method="cash")
        issue_url = reverse("sales:invoice_issue", args=[a_sale.pk])
        client.force_login(cashier)  # cashiers may issue invoices
        assert issue_url in client.get(detail_url(a_sale)).content.decode()
        walk_in_html = client.get(detail_url(walk_in)).content.decode()
        assert reverse("sales:invoice_issue", args=[walk_in.pk]) not in walk_in_html

    def test_invoice_button_needs_an_invoice_permission(self, client, a_sale):
        from django.contrib.auth.models import Permission

        viewer = make_user("viewer", None)
        viewer.user_permissions.add(
            Permission.objects.get(codename="view_sale", content_type__app_label="sales")
        )
        client.force_login(viewer)
        html = client.get(detail_url(a_sale)).content.decode()
        assert reverse("sales:invoice_issue", args=[a_sale.pk]) not in html

    def test_voided_sale_shows_who_when_and_why_and_no_void_button(self, client, manager, a_sale):
        manager.first_name, manager.last_name = "Grace", "Mwangi"
        manager.save()
        sale_void(actor=manager, sale=a_sale, reason="Customer returned the goods")
        client.force_login(manager)
        html = client.get(detail_url(a_sale)).content.decode()
        assert "Voided by Grace Mwangi" in html
        assert "Customer returned the goods" in html
        assert void_url(a_sale) not in html
        assert reverse("sales:invoice_issue", args=[a_sale.pk]) not in html

    def test_detail_runs_a_handful_of_queries(
        self, client, manager, cashier, make_customer, django_assert_max_num_queries
    ):
        customer = make_customer(credit_limit=Decimal("1000"))
        sale = sell(cashier=cashier, customer=customer, total="300", payment_method="credit")
        client.force_login(manager)
        with django_assert_max_num_queries(12):
            assert client.get(detail_url(sale)).status_code == 200


class TestExport:
    def test_csv_is_the_filtered_sorted_view_across_all_pages(self, client, manager, cashier):
        cash = [sell(cashier=cashier, total=str(10 + n), payment_method="cash") for n in range(30)]
        sell(cashier=cashier, total="99", payment_method="mpesa")
        client.force_login(manager)
        rows = csv_rows(
            client.get(
                CSV_URL, {"payment_method": "cash", "sort": "-total", "per_page": 5, "page": 2}
            )
        )
        assert rows[0] == CSV_HEADER
        assert [row[0] for row in rows[1:]] == [str(sale.pk) for sale in reversed(cash)]
        assert [row[5] for row in rows[1:3]] == ["39.00", "38.00"]
        assert {row[4] for row in rows[1:]} == {"Cash"}

    def test_csv_row_carries_the_table_columns_in_nairobi_time(
        self, client, manager, cashier, make_customer
    ):
        cashier.first_name, cashier.last_name = "Achieng", "Otieno"
        cashier.save()
        customer = make_customer(name="Mutua Musyoka")
        sale = sell(
            cashier=cashier,
            customer=customer,
            total="1234.5",
            payment_method="mpesa",
            sold_at=nairobi(2024, 3, 10, 0, 30),
        )
        walk_in = sell(
            cashier=cashier, total="7", payment_method="cash", sold_at=nairobi(2024, 3, 9, 8, 0)
        )
        sale_void(actor=manager, sale=walk_in, reason="Mistake")
        client.force_login(manager)
        rows = csv_rows(client.get(CSV_URL))
        assert rows[1:] == [
            [str(sale.pk), "2024-03-10 00:30", "Mutua Musyoka", "Achieng Otieno", "M-Pesa",
             "1234.50", "Completed"],
            [str(walk_in.pk), "2024-03-09 08:00", "Walk-in", "Achieng Otieno", "Cash", "7.00",
             "Voided"],
        ]  # fmt: skip

    def test_a_customer_named_as_a_formula_is_neutralised(
        self, client, manager, cashier, make_customer
    ):
        customer = make_customer(name='=HYPERLINK("x")')
        sell(cashier=cashier, customer=customer, total="10", payment_method="cash")
        client.force_login(manager)
        row = csv_rows(client.get(CSV_URL))[1]
        assert row[2] == '\'=HYPERLINK("x")'

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "password"},
            {"cluster": "'; DROP TABLE sales_sale; --"},
            {"status": "all"},
            {"page": "x", "per_page": "-1"},
            {"date_from": "2024-03-10", "date_to": "2024-03-01"},
            {"date_to": "9999-12-31"},
        ],
    )
    def test_a_tampered_export_query_gives_a_file_never_an_error(
        self, client, manager, a_sale, params
    ):
        client.force_login(manager)
        assert csv_rows(client.get(CSV_URL, params))[0] == CSV_HEADER

    def test_the_export_link_carries_the_filters(self, client, manager, a_sale):
        client.force_login(manager)
        html = client.get(LIST_URL, {"payment_method": "cash", "sort": "-total"}).content.decode()
        assert f"{CSV_URL}?payment_method=cash&amp;sort=-total" in html


def test_sales_are_only_counted_once_per_cluster(client, manager, cashier, make_customer, clusters):
    """A customer in two clusters: filtering by one of them lists each sale once."""
    both = make_customer(clusters=clusters)
    sale = sell(cashier=cashier, customer=both, total="10", payment_method="cash")
    client.force_login(manager)
    assert listed(client.get(LIST_URL, {"cluster": clusters[1].pk})) == [sale.pk]
    assert Sale.objects.count() == 1


def test_time_filter_uses_the_shop_day_not_the_server_clock(client, manager, cashier):
    yesterday_late = timezone.localtime().replace(hour=23, minute=30) - timedelta(days=1)
    sale = sell(cashier=cashier, total="1", payment_method="cash", sold_at=yesterday_late)
    client.force_login(manager)
    day = yesterday_late.date().isoformat()
    assert listed(client.get(LIST_URL, {"date_from": day, "date_to": day})) == [sale.pk]


def test_admin_shows_a_sale_with_its_lines_and_payment_read_only(admin_client, cashier):
    sale = sell(cashier=cashier, total="75", payment_method="mpesa")
    response = admin_client.get(reverse("admin:sales_sale_change", args=[sale.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert sale.lines.get().product_name in html and sale.payment.mpesa_code in html
    assert 'name="lines-0-quantity"' not in html and 'name="payment-0-mpesa_code"' not in html
    assert admin_client.post(reverse("admin:sales_sale_change", args=[sale.pk])).status_code == 403
