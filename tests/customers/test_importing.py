"""Importing customers from our template (customers.importing): the dry run says what each row
would do, the real run writes every row or none, matching is by phone, and every refusal names
its row and column."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.importing import MissingColumns
from core.tabular import read_sheet
from customers.importing import customer_import
from customers.models import Cluster, Customer
from sales.figures import stored_summaries
from tests.factories import sell

pytestmark = pytest.mark.django_db

HEADER = "Name,Phone,Email,Address,Village,Tax PIN,Clusters,Group,Send SMS,Latitude,Longitude,Notes"


def sheet_of(*lines: str, header: str = HEADER):
    content = "\n".join([header, *lines]).encode()
    return read_sheet(SimpleUploadedFile("customers.csv", content))


def run(sheet, manager, *, confirm=True, create_clusters=False):
    return customer_import(sheet, actor=manager, confirm=confirm, create_clusters=create_clusters)


def good_rows(count: int) -> list[str]:
    return [
        f"Farmer {n:03d},07{n:08d},,Box {n},Mwingi,A{n:09d}Z,Dairy farmers,Regular,Yes,"
        f"-0.93,38.05,From the paper book"
        for n in range(1, count + 1)
    ]


def test_the_dry_run_reports_every_row_and_writes_nothing(manager, clusters):
    report = run(sheet_of(*good_rows(3)), manager, confirm=False)
    assert [(row.number, row.action) for row in report.rows] == [
        (2, "new"),
        (3, "new"),
        (4, "new"),
    ]
    assert not report.written
    assert not Customer.objects.exists()
    assert not Cluster.objects.exclude(name__in=["Dairy farmers", "Maize growers"]).exists()


def test_confirm_writes_every_row_with_its_fields_and_history(manager, clusters):
    report = run(sheet_of(*good_rows(2)), manager)
    assert report.written and report.count("new") == 2
    customer = Customer.objects.get(phone="+254700000001")
    assert customer.name == "Farmer 001"
    assert customer.village == "Mwingi" and customer.address == "Box 1"
    assert customer.tax_pin == "A000000001Z"
    assert [cluster.name for cluster in customer.clusters.all()] == ["Dairy farmers"]
    assert customer.group.slug == "regular" and customer.send_sms
    assert customer.latitude == Decimal("-0.930000") and customer.longitude == Decimal("38.05")
    assert customer.notes == "From the paper book"
    records = list(customer.history.order_by("history_id"))
    assert records[0].history_type == "+"
    assert {record.history_user for record in records} == {manager}


def test_a_second_import_of_the_same_file_changes_nothing(manager, clusters):
    sheet = sheet_of(*good_rows(3))
    run(sheet, manager)
    history = {customer.pk: customer.history.count() for customer in Customer.objects.all()}
    again = run(sheet_of(*good_rows(3)), manager)
    assert [row.action for row in again.rows] == ["unchanged"] * 3
    assert Customer.objects.count() == 3
    assert {customer.pk: customer.history.count() for customer in Customer.objects.all()} == (
        history
    )


def test_existing_customers_are_matched_by_phone_however_it_is_typed(
    manager, clusters, make_customer, cashier
):
    existing = make_customer(name="Old Name", phone="+254700000001", clusters=[clusters[1]])
    sell(cashier=cashier, customer=existing, total="500", payment_method="cash")
    report = run(
        sheet_of(
            "New Name,0700 000 001,,,Kyuso,,Dairy farmers,,No,,,", "Other,254700000002,,,X,,,,,,,"
        ),
        manager,
    )
    assert [row.action for row in report.rows] == ["update", "new"]
    existing.refresh_from_db()
    assert existing.name == "New Name" and existing.village == "Kyuso"
    assert existing.total_visits == 1 and existing.total_spent == Decimal("500.00")  # untouched
    assert existing.group.slug == "walk-in"  # an empty Group keeps the group
    # Moving to another cluster moves the customer's sales in the reports.
    dairy, maize = clusters
    summary = stored_summaries()
    assert any(key[2:] == ("cluster", dairy.pk) for key in summary)
    assert not any(key[2:] == ("cluster", maize.pk) for key in summary)
    assert existing.history.first().history_user == manager


def test_a_bad_last_row_writes_nothing(manager, clusters):
    rows = good_rows(40) + ["Broken,0700,,,,,,,,,,"]
    report = run(sheet_of(*rows), manager)
    assert not report.written
    assert not Customer.objects.exists()
    assert [(row.number, row.errors) for row in report.errors] == [
        (42, [("Phone", "Enter the full phone number, at least 10 digits, e.g. 0712 345 678.")])
    ]


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (",0712345678,,,,,,,,,,", "Name", "This field cannot be blank."),
        ("Amina,,,,,,,,,,,", "Phone", "The phone is missing."),
        ("Amina,0812345678,,,,,,,,,,", "Phone", "is not a valid phone number"),
        ("Amina,0712345678,not-an-email,,,,,,,,,", "Email", "valid email"),
        ("Amina,0712345678,,,,12345,,,,,,", "Tax PIN", ""),
        ("Amina,0712345678,,,,,Tomato growers,,,,,", "Clusters", "No cluster is called"),
        ("Amina,0712345678,,,,,,Platinum,,,,", "Group", "There is no customer group"),
        ("Amina,0712345678,,,,,,,Maybe,,,", "Send SMS", "Write Yes or No"),
        ("Amina,0712345678,,,,,,,,95,38,", "Latitude", ""),
        ('=HYPERLINK("http://x"),0712345678,,,,,,,,,,', "Name", "spreadsheet formula"),
    ],
)
def test_each_refusal_names_its_row_and_column(manager, clusters, line, column, message):
    report = run(sheet_of(line), manager)
    assert not report.written and not Customer.objects.exists()
    (row,) = report.errors
    assert row.number == 2
    assert column in [error_column for error_column, _message in row.errors]
    assert any(message in text for _column, text in row.errors)


def test_the_same_phone_twice_in_the_file_names_the_first_row(manager, clusters):
    report = run(
        sheet_of("Amina,0712345678,,,,,,,,,,", "Amina Again,+254 712 345 678,,,,,,,,,,"), manager
    )
    assert [(row.number, row.errors) for row in report.errors] == [
        (3, [("Phone", "The same phone as row 2 of this file.")])
    ]


def test_clusters_named_in_the_file_are_created_when_asked(manager, clusters):
    report = run(
        sheet_of("Amina,0712345678,,,,,Tomato growers; dairy FARMERS,,,,,"),
        manager,
        create_clusters=True,
    )
    assert report.written
    customer = Customer.objects.get()
    assert sorted(cluster.name for cluster in customer.clusters.all()) == [
        "Dairy farmers",
        "Tomato growers",
    ]


def test_only_name_and_phone_are_required_and_other_columns_are_left_out(manager, clusters):
    report = run(
        sheet_of("Amina,0712345678,Loyalty gold", header="name, PHONE ,Favourite colour"),
        manager,
    )
    assert report.written
    assert "These columns are not ours and were left out: “Favourite colour”." in report.notes
    assert Customer.objects.get().name == "Amina"


def test_a_file_without_a_phone_column_is_refused(manager):
    with pytest.raises(MissingColumns, match="no “Phone” column"):
        run(sheet_of("Amina", header="Name"), manager)


OSPOS_HEADER = (
    "First Name,Last Name,Gender,Consent,Email,Phone Number,Address 1,Address2,City,State,Zip,"
    "Country,Comments,Company,Account Number,Discount,Discount_Type,Taxable"
)


def test_an_open_source_point_of_sale_export(manager):
    sheet = sheet_of(
        "Grace,Mwikali,F,1,grace@example.com,0712 555 111,Plot 7,Near the market,Mwingi,Kitui,"
        "90400,Kenya,Buys on Fridays,Mwikali Agrovet,ACC-17,5,1,1",
        "Peter,Musau,M,0,,+254722555222,,,Kyuso,,,,,,,,,0",
        header=OSPOS_HEADER,
    )
    report = run(sheet, manager)
    assert report.written, report.errors
    assert "Read as an Open Source Point of Sale customer export." in report.notes
    assert not any("left out" in note for note in report.notes)
    grace = Customer.objects.get(phone="+254712555111")
    assert (grace.name, grace.email, grace.village, grace.send_sms) == (
        "Grace Mwikali",
        "grace@example.com",
        "Mwingi",
        True,
    )
    assert grace.address == "Plot 7, Near the market"
    assert grace.notes.splitlines() == [
        "Buys on Fridays",
        "Gender: F",
        "State: Kitui",
        "Zip: 90400",
        "Country: Kenya",
        "Company: Mwikali Agrovet",
        "Account number: ACC-17",
        "Discount: 5",
        "Discount type: 1",
        "Taxable: 1",
    ]
    peter = Customer.objects.get(phone="+254722555222")
    assert (peter.name, peter.send_sms) == ("Peter Musau", False)
    assert peter.notes.splitlines() == ["Gender: M", "Taxable: 0"]
    # Imported twice: the second time every row is unchanged.
    assert [row.action for row in run(sheet, manager).rows] == ["unchanged", "unchanged"]


LOYVERSE_HEADER = (
    "Customer name,Email,Phone,Address,City,Province,Postal code,Country,Customer code,Note,"
    "First visit,Last visit,Total visits,Total spent,Points balance"
)


def test_a_loyverse_export_carries_its_visit_figures_over_as_opening_figures(manager, cashier):
    from django.core.management import call_command
    from django.utils import timezone

    sheet = sheet_of(
        "Josephine Ndinda,jo@example.com,0712 777 888,Box 9,Mwingi,Kitui,90400,Kenya,C-0042,"
        'Likes DAP,2023-02-11 09:15,2024-09-30,14,"25,600.50",120',
        "Festus Mutinda,,0722777999,,Kyuso,,,,C-0043,,,,0,0,0",
        header=LOYVERSE_HEADER,
    )
    report = run(sheet, manager)
    assert report.written, report.errors
    assert "Read as a Loyverse customer export." in report.notes
    josephine = Customer.objects.get(phone="+254712777888")
    assert (josephine.name, josephine.village, josephine.email) == (
        "Josephine Ndinda",
        "Mwingi",
        "jo@example.com",
    )
    assert josephine.notes.splitlines() == [
        "Likes DAP",
        "Loyverse customer code: C-0042",
        "Province: Kitui",
        "Postal code: 90400",
        "Country: Kenya",
        "Points balance: 120",
    ]
    assert (josephine.opening_visits, josephine.opening_spent) == (14, Decimal("25600.50"))
    assert (josephine.total_visits, josephine.total_spent) == (14, Decimal("25600.50"))
    assert timezone.localtime(josephine.first_visit_at).strftime("%Y-%m-%d %H:%M") == (
        "2023-02-11 09:15"
    )
    assert timezone.localtime(josephine.last_visit_at).date().isoformat() == "2024-09-30"

    # A sale adds to the opening figures; both rebuilds agree with what is stored.
    sell(cashier=cashier, customer=josephine, total="100", payment_method="cash")
    josephine.refresh_from_db()
    assert (josephine.total_visits, josephine.total_spent) == (15, Decimal("25700.50"))
    assert josephine.first_visit_at.year == 2023
    call_command("rebuild_visit_figures", "--check")
    call_command("rebuild_report_figures", "--check")
    # Imported again: unchanged, and the sale is still counted.
    assert [row.action for row in run(sheet, manager).rows] == ["unchanged", "unchanged"]
    josephine.refresh_from_db()
    assert josephine.total_visits == 15


def test_an_update_of_opening_figures_recounts_only_the_customers_it_changes(manager, cashier):
    from django.core.management import call_command

    header = "Customer name,Phone,City,First visit,Last visit,Total visits,Total spent"
    first = sheet_of(
        "Josephine,0712777888,Mwingi,2023-02-11,2024-09-30,14,25600",
        "Festus,0722777999,Kyuso,2023-05-01,2024-01-31,3,900",
        header=header,
    )
    assert run(first, manager).written
    josephine = Customer.objects.get(phone="+254712777888")
    festus = Customer.objects.get(phone="+254722777999")
    sell(cashier=cashier, customer=josephine, total="100", payment_method="cash")
    sell(cashier=cashier, customer=festus, total="50", payment_method="cash")

    # Josephine's opening figures change (an earlier first visit); Festus only moves village.
    second = sheet_of(
        "Josephine,0712777888,Mwingi,2022-01-05,2024-09-30,20,30000",
        "Festus,0722777999,Kitui,2023-05-01,2024-01-31,3,900",
        header=header,
    )
    report = run(second, manager)
    assert report.written and [row.action for row in report.rows] == ["update", "update"]
    josephine.refresh_from_db()
    festus.refresh_from_db()
    assert (josephine.total_visits, josephine.total_spent) == (21, Decimal("30100.00"))
    assert josephine.first_visit_at.year == 2022
    assert (festus.village, festus.total_visits, festus.total_spent) == (
        "Kitui",
        4,
        Decimal("950.00"),
    )
    call_command("rebuild_visit_figures", "--check")
    call_command("rebuild_report_figures", "--check")


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        # Each refusal names Loyverse's column, as the person sees it in their file.
        ("2023-02-11,2024-09-30,many,100", "Total visits", "Write a number of visits"),
        ("2023-02-11,2024-09-30,2.5,100", "Total visits", "whole number"),
        ("2023-02-11,2024-09-30,3,lots", "Total spent", "amount in shillings"),
        ("yesterday,2024-09-30,3,100", "First visit", "Write the day as"),
        ("2099-01-01,,3,100", "First visit", "in the future"),
        ("2024-09-30,2023-02-11,3,100", "Last visit", "The last visit is before"),
    ],
)
def test_loyverse_figures_that_cannot_be_read_are_refused(manager, cells, column, message):
    header = "Customer name,Phone,First visit,Last visit,Total visits,Total spent"
    report = run(sheet_of(f"Amina,0712345678,{cells}", header=header), manager)
    assert not report.written and not Customer.objects.exists()
    (row,) = report.errors
    assert any(error_column == column and message in text for error_column, text in row.errors)


def test_refusals_in_an_open_source_point_of_sale_export_name_its_columns(manager):
    header = "First Name,Last Name,Phone Number,Email,Consent"
    sheet = sheet_of("Amina,Wanjiru,0712,amina@,maybe", header=header)
    (row,) = run(sheet, manager).errors
    assert row.errors == [
        ("Phone Number", "Enter the full phone number, at least 10 digits, e.g. 0712 345 678."),
    ]
    sheet = sheet_of("Amina,Wanjiru,0712345678,amina@,maybe", header=header)
    (row,) = run(sheet, manager).errors
    assert sorted(row.errors) == [
        ("Consent", "Write Yes or No, not “maybe”."),
        ("Email", "Enter a valid email address."),
    ]


def test_an_update_moves_the_customers_updated_time(manager, make_customer):
    customer = make_customer(name="Old Name", phone="+254700000009", clusters=[])
    before = customer.updated_at
    run(sheet_of("New Name,0700000009", header="Name,Phone"), manager)
    customer.refresh_from_db()
    assert customer.name == "New Name" and customer.updated_at > before


def test_a_large_file_where_only_row_9999_is_bad_writes_nothing(manager, clusters):
    lines = [f"Farmer {n},07{n:08d},,,Mwingi,,,,Yes,,," for n in range(1, 10_001)]
    lines[9_997] = "Farmer 9998,0712,,,Mwingi,,,,Yes,,,"  # Excel row 9,999 (the header is row 1)
    report = run(sheet_of(*lines), manager)
    assert not report.written and not Customer.objects.exists()
    assert [(row.number, row.errors) for row in report.errors] == [
        (9_999, [("Phone", "Enter the full phone number, at least 10 digits, e.g. 0712 345 678.")])
    ]
    assert report.count("new") == 9_999
