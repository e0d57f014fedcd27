"""The customer exports' values path (core.export.values_csv) writes the bytes the instance
path (each Customer through the resource's dehydrate methods, as before) writes, in one query."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.contrib.auth.models import User
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.phonenumber import to_python

from core import export
from core.phones import e164_of_stored
from core.staff import staff_name
from customers.models import Cluster, Customer, CustomerGroup
from customers.resources import CustomerSmsUploadResource, CustomerTableResource, _local
from customers.selectors import customer_list_queryset

pytestmark = pytest.mark.django_db

CSV_URL = reverse("customers:customer_export_csv")
SMS_URL = reverse("customers:customer_export_sms")
SORTABLE = [
    "name",
    "phone",
    "last_cashier",
    "village",
    "send_sms",
    "first_visit_at",
    "last_visit_at",
    "total_visits",
    "total_spent",
    "credit_balance",
    "credit_limit",
]


@pytest.fixture(params=["streamed", "through a cursor"])
def reading(request, monkeypatch):
    """Both ways PostgreSQL's rows are read (core.export._value_rows), whatever the plan of
    these few rows would choose; SQLite always reads through Django's iterator."""
    monkeypatch.setattr(export, "_plan_starts_at_once", lambda *args: request.param == "streamed")
    return request.param


def body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def both_paths(client, monkeypatch, url, params=None) -> tuple[bytes, bytes]:
    """(values path, instance path) for the same request."""
    values = body(client.get(url, params or {}))
    with monkeypatch.context() as patch:
        patch.setattr(export, "reads_values", lambda resource: False)
        instances = body(client.get(url, params or {}))
    return values, instances


@pytest.fixture
def tricky_customers(make_customer, clusters):
    """Customers whose cells are each an edge case of some column."""
    named = User.objects.create_user("amina", first_name="Amina", last_name="Otieno")
    first_only = User.objects.create_user("baraka", first_name="Baraka")
    username_only = User.objects.create_user("till-3")
    extra = [
        Cluster.objects.create(name=name) for name in ("=Formula cluster", "alpha", "Beans, peas")
    ]
    wholesale = CustomerGroup.objects.exclude(slug=CustomerGroup.WALK_IN).first()
    nairobi = ZoneInfo("Africa/Nairobi")
    rows = [
        # name, clusters, cashier, visits (first, last local), figures, location, sms, phone
        ("Wanjiru Kamau", [], None, None, (0, "0.00"), False, True, "0712000101"),
        (
            "=cmd|' /C calc'!A0",
            clusters + extra,
            named,
            (2024, 2025),
            (7, "1500.00"),
            True,
            True,
            "0712000102",
        ),
        ("+x", [extra[1]], first_only, (2023, 2023), (1, "99.99"), False, False, "0110 123456"),
        (
            "-5",
            [clusters[1], extra[2]],
            username_only,
            (2025, 2025),
            (3, "0.50"),
            True,
            True,
            "+14155552671",
        ),
        ("-150.00", [extra[0]], named, None, (0, "0.00"), False, True, "+254733000104"),
        (
            "@SUM(A1)",
            [clusters[0]],
            None,
            (2022, 2024),
            (12, "123456789.10"),
            True,
            False,
            "0712000105",
        ),
        ("\tTabbed", [], username_only, None, (0, "0.00"), False, True, "0712000106"),
        (
            'Ochieng "Baba" Otieno, Jr.',
            [clusters[0]],
            named,
            (2021, 2025),
            (40, "5000.00"),
            False,
            True,
            "0712000107",
        ),
        (
            "Ünïcödé Çhèrüïyöt\nsecond line",
            [extra[1], extra[2]],
            first_only,
            (2025, 2025),
            (2, "10.00"),
            True,
            True,
            "0712000108",
        ),
        ("Amani", [clusters[1]], None, (2020, 2020), (1, "1.00"), False, True, "0712000109"),
    ]
    made = []
    for number, (name, its_clusters, cashier, visits, figures, located, sms, phone) in enumerate(
        rows
    ):
        customer = make_customer(
            name=f"Customer {number}",
            phone=phone,
            clusters=its_clusters,
            village=["Mwingi", "@evil", "-", "Kyuso", "+3"][number % 5],
            send_sms=sms,
            latitude=Decimal("-1.100000") if located else None,
            longitude=Decimal("37.900000") if located else None,
            credit_limit=Decimal(["0", "1000", "250.50"][number % 3]),
            group=wholesale if number % 4 == 0 else None,
        )
        update = {
            "name": name,  # as a file import or an old system could have left it
            "total_visits": figures[0],
            "total_spent": Decimal(figures[1]),
            "credit_balance": Decimal(["0", "300", "999.99", "250.50"][number % 4]),
            "last_cashier": cashier,
            "last_cashier_name": staff_name(cashier) if cashier else None,
        }
        if visits:
            update["first_visit_at"] = datetime(visits[0], 1, 31, 23, 59, 30, tzinfo=nairobi)
            update["last_visit_at"] = datetime(visits[1], 6, 1, 0, 5, tzinfo=UTC)
        Customer.objects.filter(pk=customer.pk).update(**update)
        made.append(customer)
    return made


def test_table_export_writes_the_instance_path_bytes(
    client, manager, tricky_customers, monkeypatch, reading
):
    client.force_login(manager)
    values, instances = both_paths(client, monkeypatch, CSV_URL)
    assert values == instances
    lines = values.decode().splitlines()
    assert len(values.decode().split("\r\n")) == len(tricky_customers) + 2  # header, rows, ""
    assert "'=cmd" in values.decode() and "+254110123456" in values.decode()
    assert lines[0].startswith("Name,Phone,Last Cashier Name,Clusters")


@pytest.mark.parametrize("sort", SORTABLE)
@pytest.mark.parametrize("descending", [False, True])
def test_table_export_matches_for_every_sort(
    client, manager, tricky_customers, monkeypatch, sort, descending, reading
):
    client.force_login(manager)
    values, instances = both_paths(
        client, monkeypatch, CSV_URL, {"sort": f"-{sort}" if descending else sort}
    )
    assert values == instances


@pytest.mark.parametrize(
    "params",
    [
        {"cluster": "first"},
        {"send_sms": "yes", "sort": "-total_spent"},
        {"location": "yes", "sort": "last_cashier"},
        {"location": "no"},
        {"q": "Otieno"},
        {"q": "0712000"},
        {"last_sale": "30"},
        {"group": "wholesale", "sort": "-name"},
        {"cluster": "'; DROP TABLE customers_customer; --"},
    ],
)
def test_table_export_matches_when_filtered(
    client, manager, tricky_customers, clusters, monkeypatch, params, reading
):
    if params.get("cluster") == "first":
        params = {**params, "cluster": clusters[0].pk}
    if params.get("group") == "wholesale":
        params = {**params, "group": tricky_customers[0].group_id}
    Customer.objects.filter(pk=tricky_customers[3].pk).update(last_visit_at=timezone.now())
    client.force_login(manager)
    values, instances = both_paths(client, monkeypatch, CSV_URL, params)
    assert values == instances


def test_sms_upload_export_writes_the_instance_path_bytes(
    client, manager, tricky_customers, monkeypatch, reading
):
    client.force_login(manager)
    values, instances = both_paths(client, monkeypatch, SMS_URL)
    assert values == instances
    assert values.decode().count("\r\n") == 1 + sum(1 for c in tricky_customers if c.send_sms)


def test_an_empty_export_is_its_header(client, manager, monkeypatch):
    client.force_login(manager)
    values, instances = both_paths(client, monkeypatch, CSV_URL)
    assert values == instances
    assert values.decode().count("\r\n") == 1


@pytest.mark.parametrize("url", [CSV_URL, SMS_URL])
def test_exports_read_customers_in_one_query_whatever_their_number(
    client, manager, make_customer, clusters, monkeypatch, url, reading
):
    """A query per chunk (a prefetch) or per row would grow with the rows: chunks of two rows
    make that visible at a handful of customers. Counted through an execute wrapper, which sees
    PostgreSQL's streamed query too."""
    monkeypatch.setattr(export, "VALUES_CHUNK_SIZE", 2)
    client.force_login(manager)

    def queries_for(customers: int) -> list[str]:
        while Customer.objects.count() < customers:
            make_customer(send_sms=True, clusters=clusters)
        queries = []

        def count(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            assert body(client.get(url)).count(b"\r\n") == customers + 1
        return queries

    few, more = queries_for(3), queries_for(9)
    assert len(few) == len(more)
    # One read of the customers (on PostgreSQL, planned once beforehand by EXPLAIN).
    reads = [sql for sql in more if 'FROM "customers_customer"' in sql]
    assert len([sql for sql in reads if not sql.startswith("EXPLAIN")]) == 1


def test_the_values_path_serves_both_customer_exports():
    assert export.reads_values(CustomerTableResource())
    assert export.reads_values(CustomerSmsUploadResource())


MOMENTS = [
    datetime(2025, 1, 31, 21, 0, tzinfo=UTC),  # the next day in Nairobi
    datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1999, 12, 31, 21, 30, tzinfo=UTC),
    datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),  # either side of Europe's clocks going forward
    datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
    datetime(2025, 11, 2, 5, 30, tzinfo=UTC),  # New York's repeated hour
    datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
]


@pytest.mark.parametrize(
    "zone", [None, "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Eucla"]
)
def test_visits_are_written_in_the_current_time_zone_as_before(
    client, manager, make_customer, monkeypatch, zone
):
    """The database converts the times (LocalMinuteField): the same text as Python's zoneinfo,
    in the shop's zone and in others that change their clocks or sit off the hour."""
    for number, moment in enumerate(MOMENTS):
        customer = make_customer(name=f"Visited {number}")
        Customer.objects.filter(pk=customer.pk).update(first_visit_at=moment, last_visit_at=moment)
    client.force_login(manager)
    if zone:
        timezone.activate(ZoneInfo(zone))
    try:
        values, instances = both_paths(client, monkeypatch, CSV_URL)
        expected = {_local(moment) for moment in MOMENTS}
    finally:
        timezone.deactivate()
    assert values == instances
    assert expected <= set(values.decode().replace("\r\n", ",").split(","))


def test_stored_phones_come_out_as_parsing_them_gave():
    stored = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                stored.append(phonenumbers.format_number(example, 0))
    # What the field keeps as typed (invalid numbers): parsed as before.
    stored += ["12345", "0712", "abc", "+254 712 345 678", "254712345678"]
    assert len(stored) > 1000
    for text in stored:
        assert e164_of_stored(text) == to_python(text).as_e164, text
    assert e164_of_stored("") == e164_of_stored(None) == ""


def test_a_download_stopped_half_way_leaves_the_connection_usable(
    make_customer, monkeypatch, reading
):
    """A browser that goes away: the server closes the response, which cancels the query and
    ends the transaction; the connection serves what comes next."""
    monkeypatch.setattr(export, "VALUES_CHUNK_SIZE", 2)
    for number in range(9):
        make_customer(name=f"Customer {number}")
    response = export.stream_resource_csv(
        CustomerTableResource(), customer_list_queryset(), "customers"
    )
    pieces = iter(response)
    assert next(pieces).startswith(b"Name,")
    assert next(pieces).count(b"\r\n") == 2
    # Django's close_old_connections would close the test's own connection (its transaction
    # keeps autocommit off) when the response is closed; the test client disconnects it too.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert Customer.objects.count() == 9
    assert (
        b"".join(
            export.stream_resource_csv(CustomerTableResource(), customer_list_queryset(), "c")
        ).count(b"\r\n")
        == 10
    )


def test_cluster_names_read_again_for_a_cluster_added_during_the_export(clusters):
    names = CustomerTableResource().fields["clusters"].values_formatter()
    assert names(f"{clusters[1].pk},{clusters[0].pk}") == "Dairy farmers, Maize growers"
    added = Cluster.objects.create(name="=Added later")
    assert names(f"{added.pk},{clusters[1].pk}") == "'=Added later, Maize growers"
    assert names(None) == names("") == ""
