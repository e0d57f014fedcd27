"""The customer map in a real browser, as a manager. Map tiles come from OpenStreetMap; the tests
run offline, so tile requests are refused: the page must work without them. The markers come in
one JSON request; when it fails the page says so and can try again."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from customers.models import Customer, CustomerGroup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Around Mwingi (-0.93, 38.06).
MWINGI_CUSTOMERS = [
    ("Mutua Musyoka", "-0.930000", "38.060000", 0),
    ("Kavata Nzioka", "-0.934120", "38.065310", 0),
    ("Ndunge Mwikali", "-0.921870", "38.052440", 1),
    ("Musembi Kyalo", "-0.945300", "38.071900", 1),
    ("Kalondu Wambua", "-0.915500", "38.068800", 0),
    ("Nzisa Mbithi", "-0.952100", "38.047700", 1),
    ("Mwikali Kitheka", "-0.938800", "38.080200", 0),
    ("Katua Muli", "-0.905000", "38.040100", 1),
]


@pytest.fixture
def mwingi(make_customer, clusters):
    regular = CustomerGroup.objects.get(slug="regular")
    customers = [
        make_customer(
            name=name,
            latitude=Decimal(latitude),
            longitude=Decimal(longitude),
            clusters=[clusters[cluster]],
            # The second cluster's customers are Regular, except Katua Muli (Walk-in).
            group=regular if cluster and name != "Katua Muli" else None,
        )
        for name, latitude, longitude, cluster in MWINGI_CUSTOMERS
    ]
    make_customer(name="Nthenya Kilonzo")  # no location: not on the map
    return customers


@pytest.fixture
def manager_page(page, log_in, manager):
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    log_in(manager)
    return page


def test_the_map_shows_located_customers_and_filters_by_cluster(
    manager_page, live_server, mwingi, clusters
):
    page = manager_page
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("link", name="Map", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/customers/map/")

    rows = page.get_by_test_id("located-customer")
    expect(rows).to_have_count(len(MWINGI_CUSTOMERS))
    expect(page.get_by_test_id("located-customers")).not_to_contain_text("Nthenya Kilonzo")
    expect(page.locator("#customer-map.leaflet-container")).to_be_visible()
    # Markers close together show as clusters (or single markers when zoomed in).
    expect(markers(page).first).to_be_visible()
    page.screenshot(path="/tmp/map.png", full_page=True)

    page.get_by_label("Cluster").select_option(label=clusters[1].name)
    page.get_by_role("button", name="Filter").click()
    expected = sorted(name for name, _, _, cluster in MWINGI_CUSTOMERS if cluster == 1)
    expect(rows).to_have_count(len(expected))
    for name in expected:
        expect(page.get_by_test_id("located-customers")).to_contain_text(name)
    expect(page.get_by_test_id("located-customers")).not_to_contain_text("Mutua Musyoka")

    # A marker opens its customer: alone on the map (walk-in in the second cluster), it is not
    # clustered.
    walk_in = CustomerGroup.objects.get(slug="walk-in")
    page.goto(f"{live_server.url}/customers/map/?cluster={clusters[1].pk}&group={walk_in.pk}")
    expect(rows).to_have_count(1)
    page.locator("#customer-map .leaflet-marker-icon").click()
    popup_link = page.locator(".leaflet-popup-content a")
    expect(popup_link).to_have_text("Katua Muli")
    popup_link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Katua Muli")


def is_points_request(url: str) -> bool:
    return "/customers/map/points/" in url


def markers(page):
    return page.locator("#customer-map .marker-cluster, #customer-map .leaflet-marker-icon")


def test_the_markers_come_in_one_request_and_names_stay_text(
    manager_page, live_server, make_customer
):
    page = manager_page
    name = '<img src="x" onerror="window.injected=1"> & Sons'
    make_customer(name=name, latitude=Decimal("-0.930000"), longitude=Decimal("38.060000"))
    with page.expect_response(lambda response: is_points_request(response.url)) as answer:
        page.goto(f"{live_server.url}/customers/map/")
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "application/json"
    icon = page.locator("#customer-map .leaflet-marker-icon")
    expect(icon).to_have_count(1)
    expect(icon).to_have_attribute("title", name)
    icon.click()
    expect(page.locator(".leaflet-popup-content a")).to_have_text(name)
    expect(page.locator(".leaflet-popup-content img")).to_have_count(0)
    assert page.evaluate("window.injected") is None
    expect(page.get_by_test_id("map-points-error")).to_be_hidden()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            lambda route: route.fulfill(status=500, body="Server Error"),
            "the back office answered with error 500",
        ),
        (lambda route: route.abort(), "the back office did not answer"),
        (
            lambda route: route.fulfill(
                status=200, body="<html>login</html>", content_type="text/html"
            ),
            "the answer was not the list of points",
        ),
    ],
    ids=["server-error", "no-answer", "not-json"],
)
def test_the_page_says_when_the_markers_cannot_be_loaded_and_tries_again(
    manager_page, live_server, mwingi, answer, reason
):
    page = manager_page
    page.route(is_points_request, answer)
    page.goto(f"{live_server.url}/customers/map/")
    problem = page.get_by_test_id("map-points-error")
    expect(problem).to_be_visible()
    expect(problem).to_have_attribute("role", "alert")
    expect(problem).to_contain_text(f"The map's points could not be loaded: {reason}")
    expect(markers(page)).to_have_count(0)
    # The list under the map is still there.
    expect(page.get_by_test_id("located-customer")).to_have_count(len(MWINGI_CUSTOMERS))

    page.unroute(is_points_request)
    problem.get_by_role("button", name="Try again").click()
    expect(problem).to_be_hidden()
    expect(markers(page).first).to_be_visible()


def test_clicking_the_map_on_the_edit_form_fills_the_coordinates(
    manager_page, live_server, make_customer
):
    page = manager_page
    customer = make_customer(name="Mutua Musyoka")
    page.goto(f"{live_server.url}/customers/{customer.pk}/edit/")
    latitude, longitude = page.locator("#id_latitude"), page.locator("#id_longitude")
    expect(latitude).to_have_value("")
    picker = page.locator("#location-picker.leaflet-container")
    expect(picker).to_be_visible()
    picker.click()
    expect(latitude).not_to_have_value("")
    lat, lng = float(latitude.input_value()), float(longitude.input_value())
    assert -5 < lat < 5 and 33 < lng < 43  # somewhere in Kenya: the map starts there
    assert len(latitude.input_value().split(".")[1]) == 6
    expect(picker.locator(".leaflet-marker-icon")).to_have_count(1)

    # Typed coordinates move the marker; the saved form keeps them.
    latitude.fill("-0.930000")
    longitude.fill("38.060000")
    page.get_by_role("button", name="Save").click()
    customer.refresh_from_db()
    expect(page.get_by_text("Customer Mutua Musyoka saved.")).to_be_visible()
    customer.refresh_from_db()
    assert (customer.latitude, customer.longitude) == (Decimal("-0.93"), Decimal("38.06"))


def test_the_till_quick_add_saves_the_position_the_cashier_allows(page, log_in, cashier):
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": -0.9312345678, "longitude": 38.0598765432})
    log_in(cashier)
    page.get_by_text("Add Customer").click()
    expect(page.locator('[data-geolocation="latitude"]')).to_have_value("-0.931235")
    expect(page.locator('[data-geolocation="longitude"]')).to_have_value("38.059877")
    page.get_by_label("Name", exact=True).fill("Ndinda Kioko")
    page.get_by_label("Phone", exact=True).fill("0733 123 456")
    page.get_by_role("button", name="Add and choose").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Ndinda Kioko")
    customer = Customer.objects.get(phone="+254733123456")
    assert (customer.latitude, customer.longitude) == (Decimal("-0.931235"), Decimal("38.059877"))


def test_the_till_quick_add_works_when_the_position_is_refused(page, log_in, cashier):
    page.context.clear_permissions()
    log_in(cashier)
    page.get_by_text("Add Customer").click()
    page.get_by_label("Name", exact=True).fill("Ndinda Kioko")
    page.get_by_label("Phone", exact=True).fill("0733 123 456")
    page.get_by_role("button", name="Add and choose").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Ndinda Kioko")
    customer = Customer.objects.get(phone="+254733123456")
    assert customer.latitude is None and customer.longitude is None
