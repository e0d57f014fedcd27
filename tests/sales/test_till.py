"""The till page: every action posts the whole form back; nothing is recorded until Complete."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer, CustomerGroup
from sales.models import Sale
from tests.factories import make_product

pytestmark = pytest.mark.django_db

TILL_URL = reverse("sales:till")


@pytest.fixture
def till(client, cashier):
    """till(action=..., **fields) posts the till form and returns the response."""
    client.force_login(cashier)
    token = client.get(TILL_URL).context["cart"].token

    def post(action, *, htmx=False, **fields):
        data = {"till_token": str(token), "payment_method": "cash", "action": action}
        data.update(fields)
        headers = {"HX-Request": "true"} if htmx else {}
        return client.post(TILL_URL, data, headers=headers)

    return post


def cart_of(response) -> list[tuple[str, str, Decimal]]:
    return [
        (line.product.name, line.quantity_text, line.line_total)
        for line in response.context["cart"].lines
    ]


def errors_of(response) -> str:
    return " ".join(str(error) for error in response.context.get("errors", []))


class TestAccess:
    def test_cashier_opens_the_till_and_someone_without_a_role_is_refused(
        self, client, cashier, no_role_user
    ):
        client.force_login(no_role_user)
        assert client.get(TILL_URL).status_code == 403
        assert client.get(reverse("sales:till_product_search")).status_code == 403
        assert client.get(reverse("sales:till_customer_search")).status_code == 403
        client.force_login(cashier)
        response = client.get(TILL_URL)
        assert response.status_code == 200
        assert b"Complete sale" in response.content


class TestCart:
    def test_a_scanned_code_adds_the_product_and_a_second_scan_adds_one_more(self, till):
        make_product(name="DAP fertiliser 50 kg", code="6161101230011", retail_price="3500")
        response = till("add_product", product_query="6161101230011")
        assert cart_of(response) == [("DAP fertiliser 50 kg", "1", Decimal("3500.00"))]
        product_id = response.context["cart"].lines[0].product.pk
        response = till(
            "add_product",
            product_query="6161101230011",
            line_product=[product_id],
            line_quantity=["1"],
            line_price=["3500.00"],
        )
        assert cart_of(response) == [("DAP fertiliser 50 kg", "2", Decimal("7000.00"))]

    def test_a_name_that_matches_several_products_offers_them(self, till):
        make_product(name="Maize seed H614D")
        make_product(name="Maize seed DH04")
        make_product(name="Panga")
        response = till("add_product", product_query="maize")
        assert cart_of(response) == []
        assert [p.name for p in response.context["product_matches"]] == [
            "Maize seed DH04",
            "Maize seed H614D",
        ]
        assert "Several products match" in response.context["notice"]

    def test_an_unknown_or_withdrawn_product_is_refused_with_a_message(self, till):
        make_product(name="Old stock", code="OLD1", is_active=False)
        response = till("add_product", product_query="OLD1")
        assert cart_of(response) == []
        assert "No product on sale matches “OLD1”" in errors_of(response)
        response = till("add_product:999999")
        assert "no longer on sale" in errors_of(response)

    def test_quantities_reprice_and_a_bad_quantity_blocks_the_sale(self, till):
        product = make_product(name="CAN loose (kg)", retail_price="70")
        response = till(
            "update", line_product=[product.pk], line_quantity=["2.5"], line_price=["70.00"]
        )
        assert cart_of(response) == [("CAN loose (kg)", "2.5", Decimal("175.00"))]
        for bad in ("0", "-1", "two", "1.2345"):
            response = till(
                "complete",
                line_product=[product.pk],
                line_quantity=[bad],
                line_price=["70.00"],
                cash_tendered="500",
            )
            assert response.status_code == 200
            assert errors_of(response), bad
        assert not Sale.objects.exists()

    def test_remove_takes_the_line_out(self, till):
        a, b = make_product(name="A"), make_product(name="B")
        response = till(
            "remove:0",
            line_product=[a.pk, b.pk],
            line_quantity=["1", "1"],
            line_price=["100.00", "100.00"],
        )
        assert [name for name, _, _ in cart_of(response)] == ["B"]

    def test_choosing_a_wholesale_customer_switches_to_wholesale_prices(self, till, make_customer):
        wholesaler = make_customer(
            name="Kitui Agrovet",
            group=CustomerGroup.objects.get(slug="wholesale"),
            credit_limit=Decimal("50000"),
        )
        product = make_product(retail_price="3200", wholesale_price="3000")
        response = till(
            f"choose_customer:{wholesaler.pk}",
            line_product=[product.pk],
            line_quantity=["10"],
            line_price=["3200.00"],
        )
        assert response.context["cart"].customer == wholesaler
        assert cart_of(response)[0][2] == Decimal("30000.00")
        content = response.content.decode()
        assert "Wholesale prices" in content
        assert "KES 50,000.00" in content  # the credit limit, shown at once


class TestCustomers:
    def test_search_suggests_customers_by_a_phone_typed_any_way(
        self, client, cashier, make_customer
    ):
        make_customer(name="Mwende Musyoka", phone="+254712345678")
        client.force_login(cashier)
        url = reverse("sales:till_customer_search")
        for typed in ("0712 345 678", "254712345678", "712345", "mwende"):
            response = client.get(url, {"customer_query": typed})
            assert [c.name for c in response.context["customer_matches"]] == ["Mwende Musyoka"]

    def test_quick_add_needs_only_name_and_phone(self, till):
        response = till(
            "quick_add_customer",
            **{"new_customer-name": "Ndinda Kioko", "new_customer-phone": "0733 123456"},
        )
        customer = Customer.objects.get(name="Ndinda Kioko")
        assert str(customer.phone) == "+254733123456"
        assert customer.group.slug == "walk-in"
        assert response.context["cart"].customer == customer
        assert "Incomplete record" in response.content.decode()

    def test_quick_add_refuses_a_bad_or_taken_phone_and_offers_the_owner(self, till, make_customer):
        owner = make_customer(name="Wanjiru Kamau", phone="+254722555666")
        response = till(
            "quick_add_customer",
            **{"new_customer-name": "Someone", "new_customer-phone": "+254 722 555 666"},
        )
        assert "already belongs to Wanjiru Kamau" in response.content.decode()
        assert response.context["existing_customer"] == owner
        response = till(
            "quick_add_customer", **{"new_customer-name": "Someone", "new_customer-phone": "0712"}
        )
        assert "at least 10 digits" in response.content.decode()
        assert Customer.objects.count() == 1

    def test_quick_add_saves_the_position_the_browser_gave(self, till):
        till(
            "quick_add_customer",
            **{
                "new_customer-name": "Mwende Musau",
                "new_customer-phone": "0733 654321",
                "new_customer-latitude": "-0.934512",
                "new_customer-longitude": "38.061234",
            },
        )
        customer = Customer.objects.get(name="Mwende Musau")
        assert (customer.latitude, customer.longitude) == (
            Decimal("-0.934512"),
            Decimal("38.061234"),
        )

    def test_quick_add_refuses_an_impossible_or_half_position_with_a_message(self, till):
        fields = {"new_customer-name": "Mwende Musau", "new_customer-phone": "0733 654321"}
        response = till(
            "quick_add_customer",
            **fields,
            **{"new_customer-latitude": "95", "new_customer-longitude": "38.06"},
        )
        assert response.status_code == 200
        assert "latitude must be between -90 and 90" in response.content.decode()
        response = till("quick_add_customer", **fields, **{"new_customer-latitude": "-0.93"})
        assert "give both latitude and longitude" in response.content.decode()
        assert not Customer.objects.exists()


class TestComplete:
    def cash_sale(self, till, product, **extra):
        return till(
            "complete",
            line_product=[product.pk],
            line_quantity=["2"],
            line_price=[f"{product.retail_price:.2f}"],
            **extra,
        )

    def test_a_cash_sale_goes_to_its_receipt_and_a_resubmission_does_not_sell_again(self, till):
        product = make_product(retail_price="450")
        response = self.cash_sale(till, product, cash_tendered="1000")
        sale = Sale.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("sales:sale_receipt", args=[sale.pk])
        assert sale.payment.change_due == Decimal("100.00")
        again = self.cash_sale(till, product, cash_tendered="1000")
        assert again.url == response.url
        assert Sale.objects.count() == 1

    def test_with_htmx_the_browser_is_told_to_open_the_receipt(self, till):
        product = make_product(retail_price="450")
        response = self.cash_sale(till, product, cash_tendered="900", htmx=True)
        assert response.status_code == 200
        assert response["HX-Redirect"] == reverse(
            "sales:sale_receipt", args=[Sale.objects.get().pk]
        )

    def test_short_cash_and_a_price_changed_meanwhile_are_refused(self, till):
        product = make_product(retail_price="450")
        response = self.cash_sale(till, product, cash_tendered="899")
        assert "less than the total" in errors_of(response)
        product.retail_price = Decimal("500")
        product.save()
        response = till(
            "complete",
            line_product=[product.pk],
            line_quantity=["2"],
            line_price=["450.00"],
            cash_tendered="2000",
        )
        assert "Prices changed" in errors_of(response)
        assert response.context["cart"].total == Decimal("1000.00")
        assert not Sale.objects.exists()

    def test_credit_past_the_limit_shows_balance_limit_and_shortfall(self, till, make_customer):
        customer = make_customer(credit_limit=Decimal("1000"))
        product = make_product(retail_price="600")
        response = self.cash_sale(till, product, customer=customer.pk, payment_method="credit")
        assert "limit of KES 1,000.00 by KES 200.00" in errors_of(response)
        assert not Sale.objects.exists()

    def test_tampered_forms_get_a_message_not_a_500(self, till, client):
        product = make_product()
        response = till(
            "complete",
            till_token="not-a-uuid",
            line_product=[product.pk],
            line_quantity=["1"],
            line_price=["100.00"],
            cash_tendered="100",
        )
        assert "out of date" in errors_of(response)
        response = till(
            "complete",
            customer="999999",
            line_product=["abc", "999999", product.pk],
            line_quantity=["1", "1", "1"],
            line_price=["1", "1", "100.00"],
            cash_tendered="100",
            payment_method="credit",
        )
        assert response.status_code == 200
        assert "no longer exists" in errors_of(response)
        response = till("complete", cash_tendered="100")  # nothing in the cart
        assert "The cart is empty" in errors_of(response)
        response = till("no_such_action")
        assert response.status_code == 200
        assert not Sale.objects.exists()


def test_a_quick_added_customer_shows_as_incomplete_in_the_back_office(till, client, manager):
    till(
        "quick_add_customer",
        **{"new_customer-name": "Kioko Mutiso", "new_customer-phone": "0722 987654"},
    )
    customer = Customer.objects.get(name="Kioko Mutiso")
    client.force_login(manager)
    page = client.get(customer.get_absolute_url()).content.decode()
    assert "Incomplete record" in page
    assert "village, Tax PIN, clusters" in page
    sales_link = reverse("sales:sale_list") + "?customer=%2B254722987654"
    assert sales_link in page
