"""The customer map page: located customers as markers (one compact JSON request) and as a
list a page at a time, filtered by cluster and group; and the location's range checked on the
customer forms."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import CustomerGroup
from customers.selectors import (
    MAP_LIST_PAGE_SIZE,
    customers_for_map,
    located_customers_page,
)

pytestmark = pytest.mark.django_db

MAP_URL = reverse("customers:customer_map")
POINTS_URL = reverse("customers:customer_map_points")


def markers_of(response) -> list[dict]:
    """The points' arrays as objects named by the answer's `columns`."""
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    return [dict(zip(data["columns"], point, strict=True)) for point in data["points"]]


def names_of(response) -> list[str]:
    """The names in the list under the map."""
    located = response.context["located"]
    return [row["name"] for row in located.object_list] if located else []


def point_names(client, query=None) -> list[str]:
    return [marker["name"] for marker in markers_of(client.get(POINTS_URL, query or {}))]


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
            assert client.get(POINTS_URL).status_code == 200

    def test_without_a_role_403_and_anonymous_to_login(self, client, no_role_user):
        for url in (MAP_URL, POINTS_URL):
            assert client.get(url).status_code == 302
        client.force_login(no_role_user)
        for url in (MAP_URL, POINTS_URL):
            assert client.get(url).status_code == 403

    def test_the_customer_list_links_to_the_map(self, client, manager):
        client.force_login(manager)
        assert MAP_URL in client.get(reverse("customers:customer_list")).content.decode()


class TestMarkers:
    def test_only_located_customers_are_shown_with_what_the_map_needs(
        self, client, manager, located
    ):
        client.force_login(manager)
        response = client.get(POINTS_URL)
        data = json.loads(response.content)
        assert data["columns"] == ["id", "lat", "lng", "name", "phone", "village", "group"]
        assert data["more"] is False and data["limit"] == 5000
        mutua, kavata = located["mutua"], located["kavata"]
        assert data["customer_url"].replace("{id}", str(mutua.pk)) == mutua.get_absolute_url()
        assert data["points"] == [
            [
                kavata.pk,
                -0.941234,
                38.071234,
                "Kavata Nzioka",
                str(kavata.phone),
                "Mwingi",
                "Regular",
            ],
            [mutua.pk, -0.93, 38.06, "Mutua Musyoka", str(mutua.phone), "Mwingi", "Walk-in"],
        ]
        html = client.get(MAP_URL).content.decode()
        assert f'href="{mutua.get_absolute_url()}"' in html  # the list under the map
        assert "Nthenya Kilonzo" not in html
        assert f'data-points-url="{POINTS_URL}"' in html

    def test_the_points_are_compact_json(self, client, manager, located):
        client.force_login(manager)
        body = client.get(POINTS_URL).content.decode()
        assert ": " not in body and ", " not in body.replace("Kavata Nzioka", "")
        # Arrays, not objects: each customer's keys are not repeated.
        assert body.count('"name"') == 1

    def test_names_are_data_never_markup(self, client, manager, make_customer):
        name = "<script>alert('x')</script> & Sons"
        customer = make_customer(
            name=name, village="", latitude=Decimal("-0.930000"), longitude=Decimal("38.060000")
        )
        client.force_login(manager)
        # In the JSON the name is a string the client writes with textContent.
        assert point_names(client) == [name]
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

    def test_the_page_and_the_points_say_when_markers_were_left_out(
        self, client, manager, located, monkeypatch
    ):
        monkeypatch.setattr(
            "customers.views.customers_for_map", lambda qs: customers_for_map(qs, limit=1)
        )
        monkeypatch.setattr(
            "customers.views.located_customers_page",
            lambda qs, page_number: located_customers_page(qs, page_number=page_number, limit=1),
        )
        client.force_login(manager)
        data = json.loads(client.get(POINTS_URL).content)
        assert len(data["points"]) == 1 and data["more"] is True
        response = client.get(MAP_URL)
        assert names_of(response) == ["Kavata Nzioka"]
        assert "only the first" in response.content.decode()

    def test_the_list_under_the_map_is_paged_and_keeps_the_filters(
        self, client, manager, make_customer, clusters
    ):
        for number in range(MAP_LIST_PAGE_SIZE + 3):
            make_customer(
                name=f"Customer {number:03d}",
                latitude=Decimal("-0.93"),
                longitude=Decimal("38.06"),
            )
        client.force_login(manager)
        first = client.get(MAP_URL, {"cluster": clusters[0].pk})
        assert len(names_of(first)) == MAP_LIST_PAGE_SIZE
        html = first.content.decode()
        assert f"{MAP_LIST_PAGE_SIZE + 3} customers with a location" in html
        assert f'href="?cluster={clusters[0].pk}&amp;page=2"' in html
        # The markers are all the customers, the points URL the page's filters without its page.
        assert f'data-points-url="{POINTS_URL}?cluster={clusters[0].pk}"' in html
        second = client.get(MAP_URL, {"cluster": clusters[0].pk, "page": 2})
        assert names_of(second) == ["Customer 050", "Customer 051", "Customer 052"]
        assert len(point_names(client, {"cluster": clusters[0].pk})) == MAP_LIST_PAGE_SIZE + 3

    def test_a_fixed_number_of_queries_whatever_the_number_of_customers(
        self, client, manager, make_customer
    ):
        client.force_login(manager)

        def count_queries(url):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries)

        make_customer(latitude=Decimal("-0.93"), longitude=Decimal("38.06"))
        few = count_queries(MAP_URL), count_queries(POINTS_URL)
        for index in range(10):
            make_customer(
                name=f"Customer {index}",
                latitude=Decimal("-0.93") + index,
                longitude=Decimal("38.06"),
            )
        assert (count_queries(MAP_URL), count_queries(POINTS_URL)) == few


class TestFilters:
    def test_by_cluster_and_by_group(self, client, manager, located, clusters):
        client.force_login(manager)
        regular = CustomerGroup.objects.get(slug="regular")
        for query, expected in [
            ({"cluster": clusters[0].pk}, ["Mutua Musyoka"]),
            ({"group": regular.pk}, ["Kavata Nzioka"]),
            ({"cluster": clusters[0].pk, "group": regular.pk}, []),
        ]:
            response = client.get(MAP_URL, query)
            assert names_of(response) == expected
            assert point_names(client, query) == expected
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
        assert "Some filters were not understood" in response.content.decode()
        points = client.get(POINTS_URL, query)
        assert points.status_code == 200
        assert markers_of(points) == []


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
