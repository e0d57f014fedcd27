"""Pages and exports are gzipped for a browser that accepts it (GZipMiddleware), streamed
exports stay streamed, static files are left to WhiteNoise, and the BREACH mitigations Django's
documentation asks for are in place."""

import csv
import gzip
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_a_page_is_gzipped_and_smaller_when_the_browser_accepts_it(client, manager, make_customer):
    for number in range(30):
        make_customer(name=f"Customer {number:02d}")
    client.force_login(manager)
    url = reverse("customers:customer_list")

    plain = client.get(url)
    assert plain.status_code == 200 and not plain.has_header("Content-Encoding")
    assert "Accept-Encoding" in plain["Vary"]

    zipped = client.get(url, headers=GZIP)
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    assert int(zipped["Content-Length"]) == len(zipped.content)
    page = gzip.decompress(zipped.content)
    assert b"Customer 29" in page or b"Customer 05" in page  # the table, whichever page
    # Same page but for the CSRF token, masked afresh on every response.
    assert abs(len(page) - len(plain.content)) < 200
    assert len(zipped.content) < len(plain.content) / 3


def test_the_csrf_token_is_masked_differently_on_every_page(client, manager):
    """BREACH reads a secret that repeats across compressed responses; Django masks the CSRF
    token with a new random mask on every response (it cannot be turned off)."""
    client.force_login(manager)
    url = reverse("customers:customer_list")
    pattern = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
    first = pattern.search(gzip.decompress(client.get(url, headers=GZIP).content)).group(1)
    second = pattern.search(gzip.decompress(client.get(url, headers=GZIP).content)).group(1)
    assert first != second


def test_an_export_is_streamed_gzipped_and_recorded_once(client, manager, make_customer):
    for number in range(5):
        make_customer(name=f"Customer {number}")
    client.force_login(manager)
    before = AuditEvent.objects.count()

    response = client.get(reverse("customers:customer_export_csv"), headers=GZIP)

    assert response.status_code == 200
    assert response.streaming  # still a StreamingHttpResponse: rows are sent as they are read
    assert response["Content-Encoding"] == "gzip"
    assert not response.has_header("Content-Length")
    assert "attachment;" in response["Content-Disposition"]
    chunks = iter(response.streaming_content)
    first = next(chunks)
    assert first.startswith(b"\x1f\x8b")  # the gzip header goes out before any row is read
    body = gzip.decompress(first + b"".join(chunks)).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "Name" and len(rows) == 6
    assert AuditEvent.objects.count() == before + 1


def test_the_413_page_still_works_compressed(client, manager, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1024
    client.force_login(manager)
    response = client.post(
        reverse("customers:customer_import"),
        {"file": SimpleUploadedFile("big.csv", b"Name,Phone\n" + b"x" * 4096, "text/csv")},
        headers=GZIP,
    )
    assert response.status_code == 413
    assert response["Content-Encoding"] == "gzip"
    assert "Nothing was saved" in gzip.decompress(response.content).decode()


def test_the_400_page_still_works_compressed(client, manager, settings):
    settings.DEBUG = False
    client.force_login(manager)
    response = client.post(
        reverse("customers:customer_add"),
        {f"field{n}": "x" for n in range(1500)},
        headers=GZIP,
    )
    assert response.status_code == 400
    assert response["Content-Encoding"] == "gzip"
    assert "could not read what was sent" in gzip.decompress(response.content).decode()


def test_static_files_are_left_to_whitenoise(client):
    """WhiteNoise answers before GZipMiddleware is reached: in production it serves the .gz
    that collectstatic wrote (tests/core/test_static.py); here, with no such file, the file as
    it is, never compressed a second time by Django."""
    response = client.get("/static/vendor/bootstrap-5.3.9/bootstrap.min.css", headers=GZIP)
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert b"Bootstrap" in b"".join(response.streaming_content)[:200]
