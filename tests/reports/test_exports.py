"""The CSV exports of the credit reports: every filtered row, the same figures as the pages,
safe to open in a spreadsheet."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import core.export
import reports.selectors
from credit.selectors import ageing_by_customer
from tests.factories import sell
from tests.reports.conftest import TODAY, days_ago, ledger_total

pytestmark = pytest.mark.django_db

REPORT_HEADERS = [
    "Name",
    "Phone",
    "Village",
    "Group",
    "Balance",
    "Credit limit",
    "Oldest unpaid",
    "Current",
    "31-60",
    "61-90",
    "Over 90",
]


def download(client, name: str, params=None) -> list[list[str]]:
    response = client.get(reverse(f"reports:{name}"), params or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; ")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def money(value) -> str:
    return f"{value:.2f}"


class TestCreditReportExport:
    def test_every_row_with_the_pages_figures(self, client, manager, book):
        client.force_login(manager)
        table = download(client, "credit_report_export")
        assert table[0] == REPORT_HEADERS
        ageing = ageing_by_customer(TODAY)
        expected = []
        for customer in (book.amina, book.baraka, book.chebet):
            row = ageing[customer.pk]
            expected.append(
                [
                    customer.name,
                    customer.phone.as_e164,
                    customer.village,
                    customer.group.name,
                    money(ledger_total(customer)),
                    money(customer.credit_limit),
                    timezone.localtime(row.oldest_unpaid_at).date().isoformat(),
                    money(row.current),
                    money(row.days_31_60),
                    money(row.days_61_90),
                    money(row.over_90),
                ]
            )
        assert table[1:] == expected
        assert table[2][4:] == [
            "2200.00",
            "5000.00",
            days_ago(75).date().isoformat(),
            "0.00",
            "500.00",
            "1700.00",
            "0.00",
        ]

    def test_follows_the_pages_filters_sort_and_day(self, client, manager, book):
        client.force_login(manager)
        day = (TODAY - timedelta(days=30)).isoformat()
        table = download(
            client, "credit_report_export", {"as_of": day, "sort": "-balance", "page": "2"}
        )
        assert [(row[0], row[4]) for row in table[1:]] == [
            ("Baraka Overdue", "2500.00"),
            ("Chebet Old", "800.00"),
            ("Daudi Paid", "300.00"),
        ]
        table = download(client, "credit_report_export", {"bucket": "over_90"})
        assert [row[0] for row in table[1:]] == ["Chebet Old"]

    def test_a_day_in_the_future_exports_only_the_headers(self, client, manager, book):
        client.force_login(manager)
        tomorrow = (TODAY + timedelta(days=1)).isoformat()
        assert download(client, "credit_report_export", {"as_of": tomorrow}) == [REPORT_HEADERS]

    def test_all_pages_in_chunks_with_one_pass_of_ageing(
        self, client, manager, make_customer, cashier, monkeypatch
    ):
        customers = []
        for number in range(7):
            customer = make_customer(name=f"Owing {number}", credit_limit=Decimal("5000"))
            sell(
                cashier=cashier,
                customer=customer,
                total=str(100 * (number + 1)),
                payment_method="credit",
                sold_at=days_ago(20 * number),
            )
            customers.append(customer)
        monkeypatch.setattr(core.export, "EXPORT_CHUNK_SIZE", 3)
        ageing_calls = []

        def counted_ageing(*args, **kwargs):
            ageing_calls.append(args)
            return ageing_by_customer(*args, **kwargs)

        monkeypatch.setattr(reports.selectors, "ageing_by_customer", counted_ageing)
        client.force_login(manager)
        with CaptureQueriesContext(connection) as queries:
            table = download(client, "credit_report_export", {"per_page": "2"})
        assert [row[0] for row in table[1:]] == [customer.name for customer in customers]
        ageing = ageing_by_customer(TODAY)
        for customer, row in zip(customers, table[1:], strict=True):
            figures = ageing[customer.pk]
            assert row[4] == money(ledger_total(customer)) == money(figures.outstanding)
            assert row[7:] == [
                money(figures.current),
                money(figures.days_31_60),
                money(figures.days_61_90),
                money(figures.over_90),
            ]
        assert {row[-1] for row in table[1:]} != {"0.00"}  # some are over 90 days old
        # Written in chunks of 3, aged in one pass: never a query per row or per chunk (one of
        # the queries is the audit log's record of the export).
        assert len(ageing_calls) == 1
        assert len(queries) < 8

    def test_a_formula_in_a_name_is_neutralised(self, client, manager, make_customer, cashier):
        customer = make_customer(name='=HYPERLINK("x")', credit_limit=Decimal("5000"))
        sell(cashier=cashier, customer=customer, total="250", payment_method="credit")
        client.force_login(manager)
        table = download(client, "credit_report_export")
        assert table[1][:2] == ['\'=HYPERLINK("x")', customer.phone.as_e164]
        assert table[1][4] == "250.00"


class TestAgeingExport:
    def test_buckets_and_the_total(self, client, manager, book):
        client.force_login(manager)
        assert download(client, "credit_ageing_export") == [
            ["Bucket", "Amount", "Share %", "Customers"],
            ["Current (0-30 days)", "1000.00", "25.6", "1"],
            ["31-60 days", "500.00", "12.8", "1"],
            ["61-90 days", "1700.00", "43.6", "1"],
            ["Over 90 days", "700.00", "17.9", "1"],
            ["Total outstanding", money(ledger_total()), "100.0", "3"],
        ]

    def test_as_of_a_past_day(self, client, manager, book):
        client.force_login(manager)
        day = TODAY - timedelta(days=30)
        table = download(client, "credit_ageing_export", {"as_of": day.isoformat()})
        assert table[-1] == ["Total outstanding", money(ledger_total(as_of=day)), "100.0", "3"]


class TestPaymentExport:
    def test_the_filtered_payments(self, client, manager, book):
        client.force_login(manager)
        table = download(client, "credit_payments_export", {"method": "cash"})
        assert table[0] == [
            "Time",
            "Customer",
            "Method",
            "M-Pesa code",
            "Amount",
            "Balance after",
            "Received by",
        ]
        assert table[1:] == [
            [
                timezone.localtime(days_ago(5)).strftime("%Y-%m-%d %H:%M"),
                "Baraka Overdue",
                "Cash",
                "",
                "300.00",
                "2200.00",
                "cashier",
            ],
            [
                timezone.localtime(days_ago(20)).strftime("%Y-%m-%d %H:%M"),
                "Daudi Paid",
                "Cash",
                "",
                "300.00",
                "0.00",
                "cashier",
            ],
        ]


class TestSmsReminders:
    def test_send_sms_customers_with_something_overdue_longest_first(
        self, client, manager, book, make_customer, cashier
    ):
        # Overdue 100 days after a 30-day term: 70 days overdue, ahead of Baraka's 45.
        fatuma = make_customer(
            name='=HYPERLINK("x")',
            phone="+254799000111",
            send_sms=True,
            credit_limit=Decimal("5000"),
        )
        sell(
            cashier=cashier,
            customer=fatuma,
            total="400",
            payment_method="credit",
            sold_at=days_ago(100),
        )
        client.force_login(manager)
        table = download(client, "credit_sms_reminders")
        # Amina owes only current credit; Chebet does not want SMS; Daudi owes nothing.
        assert table == [
            ["Phone", "Name", "Amount owed", "Days overdue"],
            ["+254799000111", '\'=HYPERLINK("x")', "400.00", "70"],
            [book.baraka.phone.as_e164, "Baraka Overdue", "2200.00", "45"],
        ]
