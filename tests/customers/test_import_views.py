"""The import pages: upload and preview (nothing written), confirm (all rows or none), the record
each import leaves, the template, bad files, and who may do it."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core.importing import progress_key
from core.progress import Progress, progress_of
from customers.importing import customer_import_check, customer_import_run
from customers.models import Customer, CustomerImport

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("customers:customer_import")
TEMPLATE_URL = reverse("customers:customer_import_template")
HEADER = "Name,Phone,Village,Clusters"


def csv_file(*lines: str, name="old-pos.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "\n".join([HEADER, *lines]).encode(), "text/csv")


def upload(client, file, **extra):
    return client.post(IMPORT_URL, {"file": file, **extra})


def test_upload_previews_and_writes_nothing_then_confirm_imports(client, manager, clusters):
    client.force_login(manager)
    response = upload(
        client, csv_file("Amina,0712345678,Mwingi,Dairy farmers", "Baraka,0712345679,Kyuso,")
    )
    record = CustomerImport.objects.get()
    assert response.status_code == 302 and response.url == record.get_absolute_url()
    assert not Customer.objects.exists()
    assert (record.status, record.rows, record.rows_new, record.created_by) == (
        "previewed",
        2,
        2,
        manager,
    )

    page = client.get(record.get_absolute_url()).content.decode()
    assert "2 rows: 2 new, 0 to update, 0 unchanged, 0 refused." in page
    assert "Import: write 2 rows" in page

    response = client.post(
        reverse("customers:customer_import_confirm", args=[record.pk]), follow=True
    )
    assert response.redirect_chain == [(record.get_absolute_url(), 302)]
    assert "Imported: 2 new, 0 updated, 0 unchanged." in response.content.decode()
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["Amina", "Baraka"]
    record.refresh_from_db()
    assert (record.status, record.imported_by, record.content) == ("imported", manager, b"")
    assert record.imported_at is not None

    # The same preview cannot be imported twice.
    again = client.post(reverse("customers:customer_import_confirm", args=[record.pk]), follow=True)
    assert "This file cannot be imported now (imported)." in again.content.decode()
    assert Customer.objects.count() == 2


def test_refused_rows_are_listed_and_block_the_import(client, manager, clusters):
    client.force_login(manager)
    upload(client, csv_file("Amina,0712345678,Mwingi,", "Baraka,12345,Kyuso,Tomato growers"))
    record = CustomerImport.objects.get()
    page = client.get(record.get_absolute_url()).content.decode()
    assert "1 refused" in page
    assert "Nothing can be imported while rows are refused" in page
    assert "Import: write" not in page
    no_cluster = (
        "No cluster is called “Tomato growers”. Add it first, or tick “Create clusters named "
        "in the file”."
    )
    assert sorted(record.findings["errors"]) == [
        [3, "Clusters", no_cluster],
        [3, "Phone", "Enter the full phone number, at least 10 digits, e.g. 0712 345 678."],
    ]
    response = client.post(
        reverse("customers:customer_import_confirm", args=[record.pk]), follow=True
    )
    assert "This file cannot be imported now" in response.content.decode()
    assert not Customer.objects.exists()
    assert CustomerImport.objects.get().status == "previewed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"Name,Phone\n", "header row but no rows under it"),
        (b"Name,Village\nAmina,Mwingi\n", "no “Phone” column"),
        (bytes(range(256)) * 400, "does not look like a spreadsheet"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why_on_the_page(client, manager, content, message):
    client.force_login(manager)
    response = upload(client, SimpleUploadedFile("bad.csv", content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CustomerImport.objects.exists() and not Customer.objects.exists()


def test_the_template_downloads_with_our_columns_and_reads_back(client, manager, clusters):
    client.force_login(manager)
    response = client.get(TEMPLATE_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Phone", "Email"]
    assert len(rows) == 3


def test_recent_imports_are_listed_with_who_and_what(client, manager, clusters):
    client.force_login(manager)
    upload(client, csv_file("Amina,0712345678,Mwingi,"))
    page = client.get(IMPORT_URL).content.decode()
    assert "old-pos.csv" in page and "Previewed, not imported yet" in page


@pytest.mark.parametrize(
    "name", ["customers:customer_import", "customers:customer_import_template"]
)
def test_only_managers_import(client, cashier, manager, name):
    url = reverse(name)
    assert client.get(url).status_code == 302
    client.force_login(cashier)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_a_cashier_cannot_see_or_confirm_an_import(client, cashier, manager, clusters):
    client.force_login(manager)
    upload(client, csv_file("Amina,0712345678,Mwingi,"))
    record = CustomerImport.objects.get()
    client.force_login(cashier)
    assert client.get(record.get_absolute_url()).status_code == 403
    assert (
        client.post(reverse("customers:customer_import_confirm", args=[record.pk])).status_code
        == 403
    )
    assert not Customer.objects.exists()


# --- the background jobs: the page follows them ----------------------------------------------

WORKER = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
NO_WORKER = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_the_page_follows_a_job_and_says_when_no_worker_runs(client, manager, clusters, settings):
    settings.TASKS = NO_WORKER  # queued, never run
    client.force_login(manager)
    upload(client, csv_file("Amina,0712345678,Mwingi,"))
    record = CustomerImport.objects.get()
    assert record.status == "checking" and record.rows == 1
    page = client.get(record.get_absolute_url()).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Waiting for the background worker to start." in page
    assert "Is it running?" not in page  # not yet: it was queued a moment ago

    CustomerImport.objects.filter(pk=record.pk).update(
        queued_at=timezone.now() - timedelta(minutes=1)
    )
    assert "Is it running?" in client.get(record.get_absolute_url()).content.decode()

    Progress(progress_key(record), 50_000).report(12_500)
    page = client.get(record.get_absolute_url()).content.decode()
    assert "12500 of 50000 rows." in page and "Is it running?" not in page

    customer_import_check(record.pk)  # what the worker does
    page = client.get(record.get_absolute_url()).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "1 rows: 1 new" in page


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_checks_and_imports(
    migrated_reference_data, client, manager, clusters, settings
):
    settings.TASKS = WORKER
    client.force_login(manager)
    upload(client, csv_file(*(f"Farmer {n},07{n:08d},Mwingi," for n in range(1, 1201))))
    record = CustomerImport.objects.get()
    assert record.status == "checking"
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    record.refresh_from_db()
    assert (record.status, record.rows_new) == ("previewed", 1200)
    assert progress_of(progress_key(record)) == {"done": 1200, "total": 1200, "percent": 100}

    client.post(reverse("customers:customer_import_confirm", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == "importing" and not Customer.objects.exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    record.refresh_from_db()
    assert (record.status, record.imported_by, record.content) == ("imported", manager, b"")
    assert Customer.objects.count() == 1200


def test_a_job_that_fails_leaves_the_record_refused_and_nothing_written(
    client, manager, clusters, settings, monkeypatch
):
    settings.TASKS = NO_WORKER
    client.force_login(manager)
    upload(client, csv_file("Amina,0712345678,Mwingi,"))
    record = CustomerImport.objects.get()
    customer_import_check(record.pk)
    client.post(reverse("customers:customer_import_confirm", args=[record.pk]))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("customers.importing.customer_import", broken)
    with pytest.raises(RuntimeError):
        customer_import_run(record.pk)
    record.refresh_from_db()
    assert record.status == "refused" and record.content == b""
    assert (
        "The job stopped on an error; nothing was written (RuntimeError: disk full)."
        in (record.findings["notes"])
    )
    assert not Customer.objects.exists()
    customer_import_run(record.pk)  # run again (a retried job): nothing to do
