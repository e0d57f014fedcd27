import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from core.export import neutralise_formula

pytestmark = pytest.mark.django_db

CSV_URL = reverse("customers:customer_export_csv")
SMS_URL = reverse("customers:customer_export_sms")
TABLE_HEADER = [
    "Name",
    "Phone",
    "Last Cashier Name",
    "Clusters",
    "Village",
    "Send SMS",
    "Has Location Data",
    "First Visit",
    "Last Visit",
    "Total Visits",
    "Total Spent",
    "Credit Balance",
    "Credit Limit",
    "Available Credit",
]


def rows_of(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+254712345678", "+254712345678"),
        ("-150.00", "-150.00"),
        ("Wanjiru = Kamau", "Wanjiru = Kamau"),
        (None, ""),
        (Decimal("10.50"), "10.50"),
    ],
)
def test_neutralise_formula(cell, expected):
    assert neutralise_formula(cell) == expected


def test_csv_is_the_filtered_sorted_view_across_all_pages(client, manager, make_customer, clusters):
    for number in range(30):
        make_customer(name=f"Dairy {number:02d}", clusters=[clusters[0]], village=f"V{number:02d}")
    make_customer(name="Maize only", clusters=[clusters[1]])
    client.force_login(manager)
    rows = rows_of(
        client.get(
            CSV_URL, {"cluster": clusters[0].pk, "sort": "-village", "per_page": 5, "page": 2}
        )
    )
    assert rows[0] == TABLE_HEADER
    assert [row[0] for row in rows[1:]] == [f"Dairy {n:02d}" for n in reversed(range(30))]
    assert {row[3] for row in rows[1:]} == {"Dairy farmers"}


def test_csv_row_carries_the_table_columns(client, manager, make_customer, clusters, cashier):
    from tests.factories import sell

    customer = make_customer(
        name="Achieng",
        phone="0712345678",
        clusters=clusters,
        village="Kitui",
        send_sms=True,
        latitude=Decimal("-1.1"),
        longitude=Decimal("37.9"),
        credit_limit=Decimal("1000"),
    )
    sell(cashier=cashier, customer=customer, total="250.50", payment_method="credit")
    client.force_login(manager)
    row = rows_of(client.get(CSV_URL))[1]
    assert row[:7] == [
        "Achieng",
        "+254712345678",
        "cashier",
        "Dairy farmers, Maize growers",
        "Kitui",
        "Yes",
        "Yes",
    ]
    assert row[9:] == ["1", "250.50", "250.50", "1000.00", "749.50"]


def test_sms_upload_is_every_send_sms_customer_whatever_the_filters(
    client, manager, make_customer, clusters
):
    make_customer(name="Zawadi", phone="0722000001", send_sms=True, clusters=[clusters[1]])
    make_customer(name="Amani", phone="0110 123456", send_sms=True, clusters=[clusters[0]])
    make_customer(name="No SMS", phone="0722000003", send_sms=False)
    client.force_login(manager)
    rows = rows_of(client.get(SMS_URL, {"cluster": clusters[0].pk, "q": "nothing matches"}))
    assert rows == [["Phone", "Name"], ["+254110123456", "Amani"], ["+254722000001", "Zawadi"]]


def test_formula_names_are_neutralised_in_every_export(client, manager, make_customer):
    make_customer(name='=HYPERLINK("x")', send_sms=True, village="@evil")
    client.force_login(manager)
    table_row = rows_of(client.get(CSV_URL))[1]
    sms_row = rows_of(client.get(SMS_URL))[1]
    assert table_row[0] == '\'=HYPERLINK("x")' and table_row[4] == "'@evil"
    assert sms_row[1] == '\'=HYPERLINK("x")'
    assert sms_row[0].startswith("+254")  # phones stay usable by the SMS gateway


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "password"},
        {"cluster": "'; DROP TABLE customers_customer; --"},
        {"send_sms": "all"},
        {"page": "x", "per_page": "-1"},
        {"last_sale": "99999999999999"},
    ],
)
def test_a_tampered_export_query_gives_a_file_never_an_error(
    client, manager, make_customer, params
):
    make_customer()
    client.force_login(manager)
    response = client.get(CSV_URL, params)
    assert response.status_code == 200
    assert rows_of(response)[0] == TABLE_HEADER
