import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, CustomerGroup
from tests.factories import sell
from tests.tables import next_page_url, table_pages

pytestmark = pytest.mark.django_db

LIST_URL = reverse("customers:customer_list")
ADD_URL = reverse("customers:customer_add")


def listed_names(response) -> list[str]:
    return [row.record.name for row in response.context["table"].paginated_rows]


def cursor(payload) -> str:
    """A page link's cursor as core.pagination writes it, for tampering with."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def table_of(response):
    return response.context["table"].paginated_rows


def valid_form(clusters, /, **overrides) -> dict:
    data = {
        "name": "Mutua Musyoka",
        "phone": "0722 111 222",
        "village": "Matuu",
        "tax_pin": "p051234567k",
        "clusters": [clusters[0].pk],
        "group": CustomerGroup.objects.get(slug="walk-in").pk,
    }
    data.update(overrides)
    return data


class TestPermissions:
    def test_cashier_may_view_and_add_but_not_edit_delete_or_export(
        self, client, cashier, make_customer
    ):
        customer = make_customer()
        client.force_login(cashier)
        assert client.get(LIST_URL).status_code == 200
        assert client.get(customer.get_absolute_url()).status_code == 200
        assert client.get(ADD_URL).status_code == 200
        for name in ("customer_edit", "customer_delete"):
            assert client.get(reverse(f"customers:{name}", args=[customer.pk])).status_code == 403
        assert (
            client.post(reverse("customers:customer_delete", args=[customer.pk])).status_code == 403
        )
        for name in ("customer_export_csv", "customer_export_sms"):
            assert client.get(reverse(f"customers:{name}")).status_code == 403
        assert Customer.objects.filter(pk=customer.pk).exists()

    def test_cashier_does_not_see_buttons_they_may_not_use(self, client, cashier, make_customer):
        customer = make_customer()
        client.force_login(cashier)
        assert b"Export to CSV" not in client.get(LIST_URL).content
        detail = client.get(customer.get_absolute_url()).content
        assert b"Delete Customer" not in detail and b"Edit Customer" not in detail

    def test_user_without_a_role_gets_403(self, client, no_role_user):
        client.force_login(no_role_user)
        assert client.get(LIST_URL).status_code == 403

    def test_manager_may_do_everything(self, client, manager, make_customer):
        customer = make_customer()
        client.force_login(manager)
        for name in ("customer_edit", "customer_delete"):
            assert client.get(reverse(f"customers:{name}", args=[customer.pk])).status_code == 200
        for name in ("customer_export_csv", "customer_export_sms"):
            assert client.get(reverse(f"customers:{name}")).status_code == 200


class TestTable:
    def test_filters_by_cluster_group_send_sms_and_location(
        self, client, manager, make_customer, clusters
    ):
        wholesale = CustomerGroup.objects.get(slug="wholesale")
        make_customer(name="Dairy SMS", clusters=[clusters[0]], send_sms=True)
        make_customer(
            name="Maize located",
            clusters=[clusters[1]],
            latitude=Decimal("-0.5"),
            longitude=Decimal("37.5"),
            group=wholesale,
        )
        client.force_login(manager)
        assert listed_names(client.get(LIST_URL, {"cluster": clusters[1].pk})) == ["Maize located"]
        assert listed_names(client.get(LIST_URL, {"send_sms": "yes"})) == ["Dairy SMS"]
        assert listed_names(client.get(LIST_URL, {"location": "yes"})) == ["Maize located"]
        assert listed_names(client.get(LIST_URL, {"location": "no"})) == ["Dairy SMS"]
        assert listed_names(client.get(LIST_URL, {"group": wholesale.pk})) == ["Maize located"]

    def test_filter_last_sale(self, client, manager, make_customer, cashier):
        recent, old, _never = (make_customer(name=n) for n in ("Recent", "Old", "Never"))
        now = timezone.now()
        sell(
            cashier=cashier,
            customer=recent,
            total="10",
            payment_method="cash",
            sold_at=now - timedelta(days=2),
        )
        sell(
            cashier=cashier,
            customer=old,
            total="10",
            payment_method="cash",
            sold_at=now - timedelta(days=60),
        )
        client.force_login(manager)
        assert listed_names(client.get(LIST_URL, {"last_sale": "7"})) == ["Recent"]
        assert listed_names(client.get(LIST_URL, {"last_sale": "90"})) == ["Old", "Recent"]

    @pytest.mark.parametrize(
        "typed", ["0712 345 678", "+254712345678", "254712345678", "712345", "0712-345"]
    )
    def test_search_finds_a_phone_typed_any_way(self, client, manager, make_customer, typed):
        make_customer(name="Kiprono Ruto", phone="+254712345678")
        make_customer(name="Other Person", phone="+254733999888")
        client.force_login(manager)
        assert listed_names(client.get(LIST_URL, {"q": typed})) == ["Kiprono Ruto"]

    @pytest.mark.parametrize("typed", ["kipro", "KITUI", "a00441", "kip@example"])
    def test_search_by_name_village_tax_pin_and_email(self, client, manager, make_customer, typed):
        make_customer(
            name="Kiprono Ruto", village="Kitui", tax_pin="A004416331M", email="kip@example.com"
        )
        make_customer(name="Other Person", village="Meru")
        client.force_login(manager)
        assert listed_names(client.get(LIST_URL, {"q": typed})) == ["Kiprono Ruto"]

    @pytest.mark.parametrize(
        "params",
        [
            {"cluster": "999999"},
            {"cluster": "abc"},
            {"send_sms": "maybe"},
            {"location": "<script>"},
            {"last_sale": "-5"},
            {"group": "x"},
        ],
    )
    def test_unknown_filter_values_give_an_empty_table_and_a_message(
        self, client, manager, make_customer, params
    ):
        make_customer()
        client.force_login(manager)
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        assert listed_names(response) == []
        assert b"Some filters were not understood" in response.content

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "password"},
            {"sort": "-__class__"},
            {"page": "abc"},
            {"page": "-3"},
            {"page": "99999"},
            {"per_page": "100000000"},
            {"per_page": "zero"},
        ],
    )
    def test_tampered_sort_and_paging_never_fail(self, client, manager, make_customer, params):
        make_customer()
        client.force_login(manager)
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        assert len(listed_names(response)) <= 100

    def test_sorting_by_last_visit_puts_customers_who_never_bought_last(
        self, client, manager, make_customer, cashier
    ):
        first, second = make_customer(name="A first"), make_customer(name="B second")
        make_customer(name="C never")
        sell(
            cashier=cashier,
            customer=first,
            total="1",
            payment_method="cash",
            sold_at=timezone.now() - timedelta(days=5),
        )
        sell(cashier=cashier, customer=second, total="1", payment_method="cash")
        client.force_login(manager)
        assert listed_names(client.get(LIST_URL, {"sort": "-last_visit_at"})) == [
            "B second",
            "A first",
            "C never",
        ]
        assert listed_names(client.get(LIST_URL, {"sort": "last_visit_at"})) == [
            "A first",
            "B second",
            "C never",
        ]

    def test_equal_values_page_through_without_skipping_or_repeating(
        self, client, manager, make_customer
    ):
        for _ in range(7):
            make_customer(name="Same Name", village="Same")
        client.force_login(manager)
        seen = [
            row.pk
            for page in table_pages(client, LIST_URL, {"sort": "-village", "per_page": 3})
            for row in page
        ]
        assert sorted(seen) == sorted(Customer.objects.values_list("pk", flat=True))

    @pytest.mark.parametrize(
        "sort",
        ["name", "-name", "last_visit_at", "-last_visit_at", "total_spent", "-total_spent",
         "village", "-last_cashier", "-clusters"],
    )  # fmt: skip
    def test_next_previous_and_last_walk_every_sort_in_order(
        self, client, manager, make_customer, cashier, sort
    ):
        """Keyset pages (core.pagination): equal values, empty values (never bought, no
        cashier) and both directions, three rows a page, against the whole table in one."""
        for number in range(11):
            customer = make_customer(name=f"Name {number % 4}", village=f"Village {number % 3}")
            if number % 3:  # a third never bought: no last visit, no cashier
                sell(
                    cashier=cashier,
                    customer=customer,
                    total=str(10 + number % 5),
                    payment_method="cash",
                    sold_at=timezone.now() - timedelta(days=number % 4),
                )
        client.force_login(manager)
        whole = [
            row.record.pk for row in table_of(client.get(LIST_URL, {"sort": sort, "per_page": 100}))
        ]
        assert len(whole) == 11

        pages = table_pages(client, LIST_URL, {"sort": sort, "per_page": 3})
        assert [row.pk for page in pages for row in page] == whole

        last = client.get(LIST_URL, {"sort": sort, "per_page": 3, "last": "1"})
        backward = [row.record.pk for row in table_of(last)]
        page = last.context["table"].page
        assert not page.has_next and page.has_previous
        while page.has_previous:
            response = client.get(f"{LIST_URL}?{page.previous_query}")
            page = response.context["table"].page
            backward = [row.record.pk for row in table_of(response)] + backward
        assert backward == whole

    @pytest.mark.parametrize(
        "params",
        [
            {"after": "not-a-cursor"},
            {"before": cursor({"keys": "name,pk", "values": [1, 2, 3]})},
            # A cursor made under another sort, read under this one.
            {"sort": "-total_spent", "after": cursor({"keys": "name,pk", "values": ["A", 1]})},
            # The right keys with values their fields cannot read.
            {
                "sort": "last_visit_at",
                "after": cursor({"keys": "last_visit_at,pk", "values": ["yesterday", "x"]}),
            },
            {"sort": "name", "after": cursor({"keys": "name,pk", "values": ["A", [1]]})},
        ],
    )
    def test_tampered_page_links_show_the_first_page(self, client, manager, make_customer, params):
        for number in range(4):
            make_customer(name=f"Name {number}")
        client.force_login(manager)
        response = client.get(LIST_URL, {**params, "per_page": 2})
        assert response.status_code == 200
        first = {name: value for name, value in params.items() if name == "sort"}
        assert listed_names(response) == listed_names(
            client.get(LIST_URL, {**first, "per_page": 2})
        )
        assert len(listed_names(response)) == 2

    def test_a_deep_page_reads_from_its_cursor_without_offset_or_count(
        self, client, manager, make_customer
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for number in range(6):
            make_customer(name=f"Name {number}")
        client.force_login(manager)
        second = next_page_url(client, LIST_URL, {"per_page": 2})
        with CaptureQueriesContext(connection) as queries:
            response = client.get(second)
        assert listed_names(response) == ["Name 2", "Name 3"]
        sql = [q["sql"].upper() for q in queries.captured_queries]
        assert not any("OFFSET" in text or "COUNT(" in text for text in sql)

    def test_the_list_runs_the_same_number_of_queries_whatever_the_page_size(
        self, client, manager, make_customer, cashier, django_assert_num_queries
    ):
        for number in range(30):
            customer = make_customer(name=f"Customer {number:02d}")
            sell(cashier=cashier, customer=customer, total="5", payment_method="cash")
        client.force_login(manager)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = {}
        for per_page in (5, 30):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(LIST_URL, {"per_page": per_page, "sort": "-total_spent"})
            assert len(listed_names(response)) == per_page
            counts[per_page] = len(queries)
        assert counts[5] == counts[30]
        # Session, user, permissions, filter dropdowns, the page of rows, clusters: no COUNT(*).
        with django_assert_num_queries(counts[5]):
            client.get(LIST_URL, {"per_page": 30})
        assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)

    def test_customer_names_are_shown_as_text_not_html(self, client, manager, make_customer):
        make_customer(name="<script>alert(1)</script>")
        client.force_login(manager)
        content = client.get(LIST_URL).content
        assert b"<script>alert(1)</script>" not in content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content


class TestCreateEditDelete:
    def test_create_with_the_required_fields(self, client, manager, clusters):
        client.force_login(manager)
        response = client.post(ADD_URL, valid_form(clusters))
        customer = Customer.objects.get()
        assert response.status_code == 302 and response.url == customer.get_absolute_url()
        assert customer.phone.as_e164 == "+254722111222" and customer.tax_pin == "P051234567K"
        assert list(customer.clusters.all()) == [clusters[0]]

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"phone": "07221112"}, "phone", "at least 10 digits"),
            ({"phone": "07221112ab"}, "phone", "at least 10 digits"),
            ({"phone": "0999 999 9999"}, "phone", "valid Kenyan phone"),
            ({"phone": "phone number"}, "phone", "at least 10 digits"),
            ({"tax_pin": "12345"}, "tax_pin", "A or P, nine digits"),
            ({"tax_pin": ""}, "tax_pin", "required"),
            ({"village": "  "}, "village", "required"),
            ({"clusters": []}, "clusters", "at least one cluster"),
            ({"clusters": ["999"]}, "clusters", "valid choice"),
            ({"name": ""}, "name", "required"),
            ({"latitude": "-1.2"}, "longitude", "both latitude and longitude"),
            ({"latitude": "95", "longitude": "37"}, "latitude", "less than or equal to 90"),
            ({"email": "not-an-email"}, "email", "valid email"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_written(
        self, client, manager, clusters, overrides, field, message
    ):
        client.force_login(manager)
        response = client.post(ADD_URL, valid_form(clusters, **overrides))
        assert response.status_code == 200
        errors = " ".join(response.context["form"].errors.get(field, []))
        assert message.lower() in errors.lower()
        assert not Customer.objects.exists()

    def test_duplicate_phone_links_to_the_customer_who_has_it(
        self, client, manager, clusters, make_customer
    ):
        existing = make_customer(name="Njeri Wambui", phone="+254722111222")
        client.force_login(manager)
        response = client.post(ADD_URL, valid_form(clusters, phone="254 722 111 222"))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<a href="{existing.get_absolute_url()}">Njeri Wambui</a>' in html
        assert Customer.objects.count() == 1

    def test_edit_with_send_sms_toggle(self, client, manager, clusters, make_customer):
        customer = make_customer(send_sms=False)
        client.force_login(manager)
        url = reverse("customers:customer_edit", args=[customer.pk])
        data = valid_form(
            clusters,
            phone=str(customer.phone),
            send_sms="on",
            credit_limit="2500",
            tax_pin=customer.tax_pin,
        )
        response = client.post(url, data)
        assert response.status_code == 302
        customer.refresh_from_db()
        assert customer.send_sms and customer.credit_limit == Decimal("2500.00")
        assert customer.name == "Mutua Musyoka"
        detail = client.get(customer.get_absolute_url())
        assert b"Mutua Musyoka" in detail.content and b"manager" in detail.content

    def test_edit_refuses_a_negative_credit_limit(self, client, manager, clusters, make_customer):
        customer = make_customer()
        client.force_login(manager)
        url = reverse("customers:customer_edit", args=[customer.pk])
        data = valid_form(
            clusters, phone=str(customer.phone), credit_limit="-5", tax_pin=customer.tax_pin
        )
        response = client.post(url, data)
        assert response.status_code == 200 and "credit_limit" in response.context["form"].errors
        customer.refresh_from_db()
        assert customer.credit_limit == 0 and customer.name == "Wanjiru Kamau"

    def test_delete(self, client, manager, make_customer):
        customer = make_customer()
        client.force_login(manager)
        response = client.post(reverse("customers:customer_delete", args=[customer.pk]))
        assert response.status_code == 302 and response.url == LIST_URL
        assert not Customer.objects.exists()

    def test_delete_of_a_customer_who_owes_is_refused_with_a_message(
        self, client, manager, cashier, make_customer
    ):
        customer = make_customer(credit_limit=Decimal("1000"))
        sell(cashier=cashier, customer=customer, total="300", payment_method="credit")
        client.force_login(manager)
        response = client.post(
            reverse("customers:customer_delete", args=[customer.pk]), follow=True
        )
        assert b"still owes KES 300.00" in response.content
        assert Customer.objects.filter(pk=customer.pk).exists()

    def test_unknown_customer_is_404(self, client, manager):
        client.force_login(manager)
        assert client.get(reverse("customers:customer_detail", args=[424242])).status_code == 404

    def test_details_of_a_customer_written_without_history_still_open(
        self, client, manager, make_customer
    ):
        """A bulk-loaded customer has no history records: the page shows no changes, no 500."""
        customer = make_customer(name="Bulk Loaded")
        customer.history.all().delete()
        client.force_login(manager)
        response = client.get(reverse("customers:customer_detail", args=[customer.pk]))
        assert response.status_code == 200
        assert b"Bulk Loaded" in response.content
