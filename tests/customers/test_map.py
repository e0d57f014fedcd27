"""The customer map page: located customers as markers and as a list, filtered by cluster and
group; and the location's range checked on the customer forms."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import CustomerGroup
from customers.selectors import customers_for_map

pytestmark = pytest.mark.django_db

MAP_URL = reverse("customers:customer_map")


def markers_of(response) -> list[dict]:
    html = response.content.decode()
    start = html.index('<script id="customer-map-markers" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def names_of(response) -> list[str]:
    return [marker["name"] for marker in response.context["markers"]]


@pytest.fixture
def located(make_customer, clusters):
    regular = CustomerGroup.objects.get(slug="regular")
    return {
        "mutua": make_customer(
            name="Mutua Musyoka",
            latitude=Decimal("-0.930000"),
            longitude=Decimal("38.060000"),
            village="Mwingi",
        ),
        "kavata": make_customer(
            name="Kavata Nzioka",
            latitude=Decimal("-0.941234"),
            longitude=Decimal("38.071234"),
            clusters=[clusters[1]],
            group=regular,
        ),
        "unlocated": make_customer(name="Nthenya Kilonzo"),
    }


class TestPermissions:
    def test_anyone_who_may_view_customers_opens_the_map(self, client, cashier, manager):
        for user in (cashier, manager):
            client.force_login(user)
            assert client.get(MAP_URL).status_code == 200

    def test_without_a_role_403_and_anonymous_to_login(self, client, no_role_user):
        assert client.get(MAP_URL).status_code == 302
        client.force_login(no_role_user)
        assert client.get(MAP_URL).status_code == 403

    def test_the_customer_list_links_to_the_map(self, client, manager):
        client.force_login(manager)
        assert MAP_URL in client.get(reverse("customers:customer_list")).content.decode()


class TestMarkers:
    def test_only_located_customers_are_shown_with_what_the_map_needs(
        self, client, manager, located
    ):
        client.force_login(manager)
        response = client.get(MAP_URL)
        mutua = located["mutua"]
        assert markers_of(response) == [
            {
                "pk": located["kavata"].pk,
                "name": "Kavata Nzioka",
                "phone": str(located["kavata"].phone),
                "village": "Mwingi",
                "group": "Regular",
                "lat": -0.941234,
                "lng": 38.071234,
                "url": located["kavata"].get_absolute_url(),
            },
            {
                "pk": mutua.pk,
                "name": "Mutua Musyoka",
                "phone": str(mutua.phone),
                "village": "Mwingi",
                "group": "Walk-in",
                "lat": -0.93,
                "lng": 38.06,
                "url": mutua.get_absolute_url(),
            },
        ]
        html = response.content.decode()
        assert f'href="{mutua.get_absolute_url()}"' in html  # the list under the map
        assert "Nthenya Kilonzo" not in html

    def test_the_list_under_the_map_shows_each_customer_as_text(
        self, client, manager, make_customer
    ):
        customer = make_customer(
            name="<script>alert('x')</script> & Sons",
            village="",
            latitude=Decimal("-0.930000"),
            longitude=Decimal("38.060000"),
        )
        client.force_login(manager)
        html = client.get(MAP_URL).content.decode()
        row = html[html.index('<tr data-testid="located-customer">') :]
        row = row[: row.index("</tr>") + len("</tr>")]
        assert row == (
            '<tr data-testid="located-customer">'
            f'<td><a href="{customer.get_absolute_url()}">'
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Sons</a></td>"
            f"<td>{customer.phone.as_e164}</td><td></td><td>{customer.group.name}</td>"
            "<td>-0.930000</td><td>38.060000</td></tr>"
        )
        assert "<script>alert" not in html

    def test_the_selector_returns_values_not_instances_and_caps_the_markers(self, located):
        rows, more = customers_for_map(limit=1)
        assert more is True and len(rows) == 1
        assert set(rows[0]) == {
            "pk",
            "name",
            "phone",
            "village",
            "latitude",
            "longitude",
            "group__name",
        }
        assert rows[0]["phone"] == located["kavata"].phone.as_e164  # text, not parsed
        rows, more = customers_for_map()
        assert more is False and len(rows) == 2

    def test_the_page_says_when_markers_were_left_out(self, client, manager, located, monkeypatch):
        import customers.views

        monkeypatch.setattr(
            customers.views, "customers_for_map", lambda qs: customers_for_map(qs, limit=1)
        )
        client.force_login(manager)
        response = client.get(MAP_URL)
        assert len(response.context["markers"]) == 1
        assert "only the first" in response.content.decode()

    def test_a_fixed_number_of_queries_whatever_the_number_of_customers(
        self, client, manager, make_customer
    ):
        client.force_login(manager)

        def count_queries():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(MAP_URL).status_code == 200
            return len(queries)

        make_customer(latitude=Decimal("-0.93"), longitude=Decimal("38.06"))
        few = count_queries()
        for index in range(10):
            make_customer(
                name=f"Customer {index}",
                latitude=Decimal("-0.93") + index,
                longitude=Decimal("38.06"),
            )
        assert count_queries() == few


class TestFilters:
    def test_by_cluster_and_by_group(self, client, manager, located, clusters):
        client.force_login(manager)
        assert names_of(client.get(MAP_URL, {"cluster": clusters[0].pk})) == ["Mutua Musyoka"]
        regular = CustomerGroup.objects.get(slug="regular")
        assert names_of(client.get(MAP_URL, {"group": regular.pk})) == ["Kavata Nzioka"]
        both = {"cluster": clusters[0].pk, "group": regular.pk}
        response = client.get(MAP_URL, both)
        assert names_of(response) == []
        assert "No customers with a location match these filters." in response.content.decode()

    @pytest.mark.parametrize(
        "query", [{"cluster": "999999"}, {"group": "abc"}, {"cluster": "1'; DROP TABLE"}]
    )
    def test_unknown_filter_values_give_a_message_and_no_customers(
        self, client, manager, located, query
    ):
        client.force_login(manager)
        response = client.get(MAP_URL, query)
        assert response.status_code == 200
        assert names_of(response) == []
        assert markers_of(response) == []
        assert "Some filters were not understood" in response.content.decode()


class TestLocationOnTheForms:
    def test_the_edit_and_create_forms_carry_the_location_picker(self, client, manager, located):
        client.force_login(manager)
        for url in (
            reverse("customers:customer_add"),
            reverse("customers:customer_edit", args=[located["mutua"].pk]),
        ):
            html = client.get(url).content.decode()
            assert "js/location_picker.js" in html and "leaflet.js" in html

    @pytest.mark.parametrize(
        ("latitude", "longitude", "message"),
        [
            ("91", "38.06", "less than or equal to 90"),
            ("-0.93", "-181", "greater than or equal to -180"),
            ("1000000", "38.06", "digits"),
            ("north", "38.06", "Enter a number"),
        ],
    )
    def test_absurd_coordinates_on_the_edit_form_get_a_message(
        self, client, manager, located, clusters, latitude, longitude, message
    ):
        customer = located["mutua"]
        client.force_login(manager)
        url = reverse("customers:customer_edit", args=[customer.pk])
        data = {
            "name": customer.name,
            "phone": str(customer.phone),
            "village": customer.village,
            "tax_pin": customer.tax_pin,
            "clusters": [clusters[0].pk],
            "group": customer.group_id,
            "credit_limit": "0",
            "latitude": latitude,
            "longitude": longitude,
        }
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in response.content.decode()
        customer.refresh_from_db()
        assert (customer.latitude, customer.longitude) == (Decimal("-0.93"), Decimal("38.06"))

    def test_the_product_form_has_no_location_picker(self, client, manager):
        client.force_login(manager)
        html = client.get(reverse("sales:product_add")).content.decode()
        assert "location_picker.js" not in html
