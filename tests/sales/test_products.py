"""Products in the back office: the table, a product's page and history, CRUD, and the admin."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sales.models import Product
from sales.services import product_update
from tests.factories import make_product, sell
from tests.tables import table_pages

pytestmark = pytest.mark.django_db

LIST_URL = reverse("sales:product_list")
ADD_URL = reverse("sales:product_add")


def edit_url(product):
    return reverse("sales:product_edit", args=[product.pk])


def delete_url(product):
    return reverse("sales:product_delete", args=[product.pk])


def listed_names(response) -> list[str]:
    return [row.record.name for row in response.context["table"].paginated_rows]


def valid_form(**overrides) -> dict:
    data = {
        "name": "DAP fertiliser 50kg",
        "code": "dap-50",
        "retail_price": "6500",
        "wholesale_price": "6200.50",
        "is_active": "on",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def form_errors(response, field) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


class TestPermissions:
    def test_anonymous_is_sent_to_the_login_page(self, client):
        product = make_product()
        for url in (
            LIST_URL,
            ADD_URL,
            product.get_absolute_url(),
            edit_url(product),
            delete_url(product),
        ):
            response = client.get(url)
            assert response.status_code == 302 and reverse("login") in response.url, url
        response = client.post(delete_url(product))
        assert response.status_code == 302 and reverse("login") in response.url
        assert Product.objects.filter(pk=product.pk).exists()

    def test_cashier_may_view_but_not_add_edit_or_delete(self, client, cashier):
        product = make_product(name="Maize seed", retail_price="250")
        client.force_login(cashier)
        assert client.get(LIST_URL).status_code == 200
        assert client.get(product.get_absolute_url()).status_code == 200
        for url in (ADD_URL, edit_url(product), delete_url(product)):
            assert client.get(url).status_code == 403, url
        assert client.post(ADD_URL, valid_form()).status_code == 403
        assert client.post(edit_url(product), valid_form(name="Hacked")).status_code == 403
        assert client.post(delete_url(product)).status_code == 403
        product.refresh_from_db()
        assert product.name == "Maize seed" and Product.objects.count() == 1

    def test_cashier_does_not_see_buttons_they_may_not_use(self, client, cashier):
        product = make_product()
        client.force_login(cashier)
        assert ADD_URL.encode() not in client.get(LIST_URL).content
        detail = client.get(product.get_absolute_url()).content
        assert b"Edit Product" not in detail and b"Delete Product" not in detail

    def test_user_without_a_role_gets_403(self, client, no_role_user):
        product = make_product()
        client.force_login(no_role_user)
        assert client.get(LIST_URL).status_code == 403
        assert client.get(product.get_absolute_url()).status_code == 403

    @pytest.mark.parametrize("role", ["manager", "admin_role_user"])
    def test_manager_and_admin_may_do_everything(self, client, request, role):
        product = make_product()
        client.force_login(request.getfixturevalue(role))
        for url in (
            LIST_URL,
            ADD_URL,
            product.get_absolute_url(),
            edit_url(product),
            delete_url(product),
        ):
            assert client.get(url).status_code == 200, url
        assert ADD_URL.encode() in client.get(LIST_URL).content  # the "+" button
        detail = client.get(product.get_absolute_url()).content
        assert b"Edit Product" in detail and b"Delete Product" in detail

    def test_unknown_product_is_404(self, client, manager):
        client.force_login(manager)
        for name in ("product_detail", "product_edit", "product_delete"):
            assert client.get(reverse(f"sales:{name}", args=[424242])).status_code == 404


class TestTable:
    def test_shows_prices_with_two_decimals_and_thousands_separators(self, client, manager):
        make_product(name="Dairy meal", retail_price="12345.5", wholesale_price="11000")
        client.force_login(manager)
        content = client.get(LIST_URL).content.decode()
        assert "12,345.50" in content and "11,000.00" in content

    def test_rows_open_the_product(self, client, manager):
        product = make_product()
        client.force_login(manager)
        content = client.get(LIST_URL).content.decode()
        assert f'data-href="{product.get_absolute_url()}"' in content

    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("maize", ["Maize seed H614"]),  # name contains, any case
            ("seed", ["Maize seed H614", "Sorghum seed"]),
            ("h614", ["Maize seed H614"]),
            ("ms-", ["Maize seed H614"]),  # code starts with, typed in lower case
            ("SG", ["Sorghum seed"]),
            ("614X", []),
        ],
    )
    def test_search_by_name_or_start_of_code(self, client, manager, typed, expected):
        make_product(name="Maize seed H614", code="MS-614")
        make_product(name="Sorghum seed", code="SG-001")
        make_product(name="Dairy meal", code="DM-XMS")
        client.force_login(manager)
        assert listed_names(client.get(LIST_URL, {"q": typed})) == expected

    def test_filter_on_sale(self, client, manager):
        make_product(name="Sold now")
        make_product(name="Stopped", is_active=False)
        client.force_login(manager)
        assert listed_names(client.get(LIST_URL, {"on_sale": "yes"})) == ["Sold now"]
        assert listed_names(client.get(LIST_URL, {"on_sale": "no"})) == ["Stopped"]
        assert listed_names(client.get(LIST_URL, {"on_sale": ""})) == ["Sold now", "Stopped"]

    @pytest.mark.parametrize("params", [{"on_sale": "maybe"}, {"on_sale": "<script>"}])
    def test_unknown_filter_values_give_an_empty_table_and_a_message(self, client, manager, params):
        make_product()
        client.force_login(manager)
        response = client.get(LIST_URL, params)
        assert response.status_code == 200 and listed_names(response) == []
        assert b"Some filters were not understood" in response.content

    @pytest.mark.parametrize(
        "params",
        [{"sort": "password"}, {"sort": "-__class__"}, {"page": "abc"}, {"per_page": "10**9"}],
    )
    def test_tampered_sort_and_paging_never_fail(self, client, manager, params):
        make_product()
        client.force_login(manager)
        assert client.get(LIST_URL, params).status_code == 200

    def test_sort_by_price_with_equal_prices_in_a_stable_order(self, client, manager):
        for name in ("C", "A", "B"):
            make_product(name=name, retail_price="50")
        make_product(name="Dear", retail_price="900")
        client.force_login(manager)
        ascending = listed_names(client.get(LIST_URL, {"sort": "retail_price"}))
        assert ascending == ["C", "A", "B", "Dear"]  # equal prices: in the order they were made
        descending = listed_names(client.get(LIST_URL, {"sort": "-retail_price"}))
        assert descending == ["Dear", "B", "A", "C"]
        pages = table_pages(client, LIST_URL, {"sort": "retail_price", "per_page": 2})
        assert [[product.name for product in page] for page in pages] == [["C", "A"], ["B", "Dear"]]

    def test_a_fixed_number_of_queries_whatever_the_page_size(
        self, client, manager, django_assert_max_num_queries
    ):
        for number in range(30):
            make_product(name=f"Product {number:02d}")
        client.force_login(manager)
        counts = {}
        for per_page in (5, 30):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(LIST_URL, {"per_page": per_page, "sort": "-wholesale_price"})
            assert len(listed_names(response)) == per_page
            counts[per_page] = len(queries)
            assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        assert counts[5] == counts[30]
        with django_assert_max_num_queries(counts[5]):
            client.get(LIST_URL, {"per_page": 30, "q": "product", "on_sale": "yes"})

    def test_product_names_are_shown_as_text_not_html(self, client, manager):
        make_product(name="<script>alert(1)</script>")
        client.force_login(manager)
        content = client.get(LIST_URL).content
        assert b"<script>alert(1)</script>" not in content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in content


class TestDetail:
    def test_shows_prices_status_and_code(self, client, cashier):
        product = make_product(
            name="Knapsack sprayer",
            code="KS-16L",
            retail_price="4250",
            wholesale_price="3999.5",
            is_active=False,
        )
        client.force_login(cashier)
        content = client.get(product.get_absolute_url()).content.decode()
        assert "Knapsack sprayer" in content and "KS-16L" in content
        assert "KES 4,250.00" in content and "KES 3,999.50" in content
        assert "Not on sale" in content

    def test_history_shows_a_price_change_and_who_made_it(self, client, manager, admin_role_user):
        client.force_login(manager)
        client.post(ADD_URL, valid_form(retail_price="6500"))
        product = Product.objects.get()
        product_update(actor=admin_role_user, product=product, retail_price=Decimal("7250"))
        response = client.get(product.get_absolute_url())
        history = response.context["history"]
        assert [entry["record"].history_type for entry in history] == ["~", "+"]
        latest = history[0]
        assert latest["record"].history_user == admin_role_user
        assert latest["changes"] == [
            {"field": "retail price", "old": "6,500.00", "new": "7,250.00"}
        ]
        assert history[1]["record"].history_user == manager
        html = response.content.decode()
        assert "<strong>Retail price</strong>: 6,500.00 → 7,250.00" in html
        assert "admin-role" in html and "manager" in html

    def test_history_names_the_on_sale_change(self, client, manager):
        product = make_product()
        product_update(actor=manager, product=product, is_active=False)
        client.force_login(manager)
        changes = client.get(product.get_absolute_url()).context["history"][0]["changes"]
        assert changes == [{"field": "on sale", "old": "Yes", "new": "No"}]


class TestCreateEditDelete:
    def test_create(self, client, manager):
        client.force_login(manager)
        response = client.post(ADD_URL, valid_form())
        product = Product.objects.get()
        assert response.status_code == 302 and response.url == product.get_absolute_url()
        assert product.name == "DAP fertiliser 50kg" and product.code == "DAP-50"
        assert product.retail_price == Decimal("6500.00")
        assert product.wholesale_price == Decimal("6200.50")
        assert product.is_active
        assert product.history.get().history_user == manager
        page = client.get(response.url).content.decode()
        assert "Product DAP fertiliser 50kg created." in page

    def test_create_not_on_sale(self, client, manager):
        client.force_login(manager)
        client.post(ADD_URL, valid_form(is_active=None))
        assert not Product.objects.get().is_active

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"name": ""}, "name", "Enter the product's name"),
            ({"name": "   "}, "name", "Enter the product's name"),
            ({"code": ""}, "code", "Enter the product's code"),
            ({"code": "  "}, "code", "Enter the product's code"),
            ({"retail_price": "-1"}, "retail_price", "cannot be negative"),
            ({"wholesale_price": "-0.01"}, "wholesale_price", "cannot be negative"),
            ({"retail_price": ""}, "retail_price", "Enter the retail price"),
            ({"retail_price": "abc"}, "retail_price", "Enter a number"),
            ({"retail_price": "10.555"}, "retail_price", "2 decimal places"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_is_written(
        self, client, manager, overrides, field, message
    ):
        client.force_login(manager)
        response = client.post(ADD_URL, valid_form(**overrides))
        assert response.status_code == 200
        assert message.lower() in form_errors(response, field).lower()
        assert message.lower() in response.content.decode().replace("&#x27;", "'").lower()
        assert not Product.objects.exists()

    def test_duplicate_code_typed_in_lower_case_links_to_the_product_that_has_it(
        self, client, manager
    ):
        existing = make_product(name="Urea 50kg", code="UREA-50")
        client.force_login(manager)
        response = client.post(ADD_URL, valid_form(code=" urea-50 "))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Code UREA-50 already belongs to" in html
        assert f'<a href="{existing.get_absolute_url()}">Urea 50kg</a>' in html
        assert Product.objects.count() == 1

    def test_edit(self, client, manager):
        product = make_product(name="Old name", code="OLD-1", retail_price="100")
        client.force_login(manager)
        response = client.post(
            edit_url(product),
            valid_form(name="New  name", code="new-1", retail_price="1250", is_active=None),
        )
        assert response.status_code == 302 and response.url == product.get_absolute_url()
        product.refresh_from_db()
        assert (product.name, product.code) == ("New name", "NEW-1")
        assert product.retail_price == Decimal("1250.00") and not product.is_active
        assert "Product New name saved." in client.get(response.url).content.decode()

    def test_edit_keeps_the_products_own_code(self, client, manager):
        product = make_product(code="KEEP-1")
        client.force_login(manager)
        response = client.post(edit_url(product), valid_form(code="keep-1", retail_price="5"))
        assert response.status_code == 302
        product.refresh_from_db()
        assert product.code == "KEEP-1" and product.retail_price == Decimal("5.00")

    def test_edit_refuses_another_products_code_and_changes_nothing(self, client, manager):
        make_product(name="Taken", code="TAKEN")
        product = make_product(name="Mine", code="MINE", retail_price="10")
        client.force_login(manager)
        response = client.post(
            edit_url(product), valid_form(name="Renamed", code="taken", retail_price="20")
        )
        assert response.status_code == 200
        assert "already belongs to" in form_errors(response, "code")
        product.refresh_from_db()
        assert (product.name, product.code, product.retail_price) == ("Mine", "MINE", 10)
        assert response.context["product"].name == "Mine"

    def test_edit_refuses_a_negative_price_and_changes_nothing(self, client, manager):
        product = make_product(retail_price="10", wholesale_price="9")
        client.force_login(manager)
        response = client.post(edit_url(product), valid_form(wholesale_price="-9"))
        assert response.status_code == 200
        assert "cannot be negative" in form_errors(response, "wholesale_price")
        product.refresh_from_db()
        assert product.wholesale_price == Decimal("9.00") and product.history.count() == 1

    def test_confirm_page_then_delete(self, client, manager):
        product = make_product(name="Unsold")
        client.force_login(manager)
        confirm = client.get(delete_url(product))
        assert confirm.status_code == 200 and b"Delete Unsold?" in confirm.content
        assert Product.objects.filter(pk=product.pk).exists()
        response = client.post(delete_url(product))
        assert response.status_code == 302 and response.url == LIST_URL
        assert not Product.objects.exists()
        assert product.history.latest().history_user == manager  # who deleted it is kept
        assert "Product Unsold deleted." in client.get(LIST_URL).content.decode()

    def test_a_sold_product_cannot_be_deleted(self, client, manager, cashier):
        sale = sell(cashier=cashier, total="300", payment_method="cash")
        product = sale.lines.get().product
        client.force_login(manager)
        response = client.post(delete_url(product), follow=True)
        assert response.redirect_chain[-1][0] == product.get_absolute_url()
        html = response.content.decode()
        assert "is on past sales and cannot be deleted" in html
        assert "Untick “On sale”" in html
        assert Product.objects.filter(pk=product.pk).exists()


class TestAdmin:
    def test_changelist_with_search_and_filter(self, admin_client):
        make_product(name="Maize seed", code="MS-1")
        make_product(name="Dairy meal", code="DM-1", is_active=False)
        url = reverse("admin:sales_product_changelist")
        assert b"Maize seed" in admin_client.get(url, {"q": "ms-"}).content
        response = admin_client.get(url, {"is_active__exact": "0"})
        assert b"Dairy meal" in response.content and b"Maize seed" not in response.content

    def test_add_goes_through_the_service(self, admin_client, admin_user):
        response = admin_client.post(
            reverse("admin:sales_product_add"),
            valid_form(name="  Dip  concentrate ", code="dip-1"),
        )
        assert response.status_code == 302
        product = Product.objects.get()
        assert (product.name, product.code) == ("Dip concentrate", "DIP-1")
        assert product.history.get().history_user == admin_user

    def test_add_refuses_a_duplicate_code_in_lower_case(self, admin_client):
        make_product(code="DIP-1")
        response = admin_client.post(reverse("admin:sales_product_add"), valid_form(code="dip-1"))
        assert response.status_code == 200 and b"already belongs to" in response.content
        assert Product.objects.count() == 1

    def test_change_records_who_changed_the_price(self, admin_client, admin_user):
        product = make_product(code="DIP-1", retail_price="10")
        response = admin_client.post(
            reverse("admin:sales_product_change", args=[product.pk]),
            valid_form(code="DIP-1", retail_price="12"),
        )
        assert response.status_code == 302
        product.refresh_from_db()
        assert product.retail_price == Decimal("12.00")
        assert product.history.latest().history_user == admin_user

    def test_a_sold_product_has_no_delete(self, admin_client, cashier):
        product = sell(cashier=cashier, total="5", payment_method="cash").lines.get().product
        url = reverse("admin:sales_product_delete", args=[product.pk])
        assert admin_client.post(url, {"post": "yes"}).status_code == 403
        assert Product.objects.filter(pk=product.pk).exists()
