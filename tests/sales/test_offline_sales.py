"""The till without the link (issue 18), the server's side: the product list and service worker
the browser keeps, the queue's endpoint (each sale recorded once, at the time it was sold, or
refused and kept for a manager), and the managers' list of refusals."""

import json
import uuid
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import AuditAction, AuditEvent, MpesaCode
from customers.models import CustomerGroup
from customers.services import customer_delete
from sales import services
from sales.models import OfflineSaleRefusal, Payment, Product, Sale
from sales.services import OFFLINE_MAX_AGE, offline_refusal_deal, offline_sale_record
from tests.factories import make_product, next_mpesa_code

pytestmark = pytest.mark.django_db

SALE_URL = reverse("sales:till_offline_sale")
PRODUCTS_URL = reverse("sales:till_products")
SW_URL = reverse("sales:till_service_worker")
LIST_URL = reverse("sales:offline_refusal_list")


def iso(moment) -> str:
    """As a browser's Date.toISOString() writes it: UTC, milliseconds, Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def payload(product, *, quantity="2", unit_price=None, total=None, **fields) -> dict:
    unit_price = unit_price or f"{product.retail_price:.2f}"
    body = {
        "till_token": str(uuid.uuid4()),
        "sold_at": iso(timezone.now() - timedelta(hours=2)),
        "customer": None,
        "payment_method": "cash",
        "cash_tendered": "100000",
        "mpesa_code": "",
        "lines": [{"product": product.pk, "quantity": quantity, "unit_price": unit_price}],
        "total": total or f"{Decimal(unit_price) * Decimal(quantity):.2f}",
    }
    body.update(fields)
    return body


def send(client, body, **headers):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        SALE_URL,
        data=raw,
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        **headers,
    )


@pytest.fixture
def dap(manager):
    return make_product(name="DAP 50 kg", retail_price="3500", wholesale_price="3300")


@pytest.fixture
def till(client, cashier):
    client.force_login(cashier)
    return client


# --- recording ----------------------------------------------------------------------------


def test_a_cash_sale_is_recorded_at_the_time_it_was_sold(till, cashier, dap):
    body = payload(dap, cash_tendered="8000")
    response = send(till, body)

    assert response.status_code == 201
    answer = response.json()
    sale = Sale.objects.get()
    assert answer == {
        "status": "recorded",
        "till_token": body["till_token"],
        "sale": sale.pk,
        "receipt_number": str(sale.pk),
        "receipt_url": reverse("sales:sale_receipt", args=[sale.pk]),
        "message": f"Sale {sale.pk} recorded.",
    }
    assert iso(sale.sold_at) == body["sold_at"]
    assert sale.cashier == cashier and str(sale.till_token) == body["till_token"]
    assert sale.total == Decimal("7000.00")
    payment = Payment.objects.get(sale=sale)
    assert payment.received_at == sale.sold_at and payment.change_due == Decimal("1000.00")
    assert till.get(answer["receipt_url"]).status_code == 200


def test_an_mpesa_sale_to_a_wholesale_customer_is_priced_as_the_till_priced_it(
    till, dap, make_customer
):
    customer = make_customer(group=CustomerGroup.objects.get(slug="wholesale"))
    code = next_mpesa_code()
    body = payload(
        dap, unit_price="3300.00", customer=customer.pk, payment_method="mpesa", mpesa_code=code
    )
    response = send(till, body)

    assert response.status_code == 201, response.json()
    sale = Sale.objects.get()
    assert sale.customer == customer and sale.total == Decimal("6600.00")
    assert sale.price_list == "wholesale" and sale.payment.mpesa_code == code
    customer.refresh_from_db()
    assert customer.total_visits == 1 and customer.last_visit_at == sale.sold_at


def test_the_same_sale_sent_twice_is_recorded_once(till, dap):
    body = payload(dap, payment_method="mpesa", mpesa_code=next_mpesa_code(), cash_tendered="")
    first = send(till, body)
    second = send(till, body)

    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["status"] == "already_recorded"
    assert second.json()["receipt_number"] == first.json()["receipt_number"]
    assert second.json()["message"] == f"Sale {first.json()['sale']} was already recorded."
    assert Sale.objects.count() == 1 and not OfflineSaleRefusal.objects.exists()


def test_a_sale_recorded_at_the_till_then_resent_from_the_queue_is_not_doubled(till, dap):
    """The answer was lost on the way back: the browser sends it again, later, once it is old."""
    body = payload(dap)
    assert send(till, body).status_code == 201
    body["sold_at"] = iso(timezone.now() - OFFLINE_MAX_AGE - timedelta(days=1))
    again = send(till, body)
    assert again.status_code == 200 and again.json()["status"] == "already_recorded"
    assert not OfflineSaleRefusal.objects.exists()


def test_the_csrf_token_is_read_from_the_header(cashier, dap):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cashier)
    secret = "x" * 32
    client.cookies["csrftoken"] = secret
    assert send(client, payload(dap)).status_code == 403
    assert send(client, payload(dap), HTTP_X_CSRFTOKEN=secret).status_code == 201


# --- refusals -----------------------------------------------------------------------------


def refused(response, status=422) -> dict:
    assert response.status_code == status, response.content
    answer = response.json()
    assert answer["status"] == "refused" and answer["message"]
    return answer


def test_a_used_mpesa_code_is_refused_and_kept_once(till, dap):
    code = next_mpesa_code()
    first = payload(dap, payment_method="mpesa", mpesa_code=code, cash_tendered="")
    assert send(till, first).status_code == 201
    second = payload(dap, payment_method="mpesa", mpesa_code=code.lower(), cash_tendered="")

    answer = refused(send(till, second))
    again = refused(send(till, second))

    assert answer["code"] == "mpesa_code_used"
    assert f"M-Pesa code {code} has already been used." in answer["message"]
    assert again == answer
    refusal = OfflineSaleRefusal.objects.get()
    assert str(refusal.till_token) == second["till_token"] and refusal.payload == second
    assert refusal.code == "mpesa_code_used" and refusal.mpesa_code == code.lower()
    assert refusal.total == Decimal("7000.00") and refusal.payment_method == "mpesa"
    assert refusal.lines == [
        {
            "product": dap.pk,
            "name": "DAP 50 kg",
            "code": dap.code,
            "quantity": "2",
            "unit_price": "3500.00",
        }
    ]
    assert Sale.objects.count() == 1 and MpesaCode.objects.count() == 1


def test_a_malformed_mpesa_code_is_refused(till, dap):
    answer = refused(send(till, payload(dap, payment_method="mpesa", mpesa_code="ABC")))
    assert answer["code"] == "mpesa_code" and not Sale.objects.exists()


def test_credit_needs_the_link(till, dap, make_customer):
    customer = make_customer(credit_limit=Decimal("50000"))
    answer = refused(send(till, payload(dap, customer=customer.pk, payment_method="credit")))
    assert answer["code"] == "offline_credit"
    assert answer["message"].startswith("Credit needs the connection")
    assert not Sale.objects.exists()
    assert OfflineSaleRefusal.objects.get().customer == customer


def test_a_price_changed_meanwhile_is_refused_with_both_totals(till, dap, manager):
    body = payload(dap)  # 2 × 3,500.00 at the till
    services.product_update(actor=manager, product=dap, retail_price=Decimal("3600"))

    answer = refused(send(till, body))

    assert answer["code"] == "stale_total"
    assert "KES 7,000.00" in answer["message"] and "KES 7,200.00" in answer["message"]
    assert "DAP 50 kg: KES 3,500.00 at the till, KES 3,600.00 today" in answer["message"]
    assert not Sale.objects.exists()


def test_a_refusal_is_final_even_when_the_reason_goes_away(till, dap, manager):
    """A manager may already be dealing with it: resending never records it behind them."""
    body = payload(dap)
    services.product_update(actor=manager, product=dap, retail_price=Decimal("3600"))
    first = refused(send(till, body))
    services.product_update(actor=manager, product=dap, retail_price=Decimal("3500"))
    assert refused(send(till, body)) == first
    assert not Sale.objects.exists() and OfflineSaleRefusal.objects.count() == 1


def test_a_product_taken_off_sale_is_refused(till, dap, manager):
    body = payload(dap)
    services.product_update(actor=manager, product=dap, is_active=False)
    assert refused(send(till, body))["code"] == "inactive_product"


def test_a_deleted_customer_is_refused(till, dap, make_customer, manager):
    customer = make_customer()
    body = payload(dap, customer=customer.pk)
    customer_delete(actor=manager, customer=customer)

    assert refused(send(till, body))["code"] == "unknown_customer"
    refusal = OfflineSaleRefusal.objects.get()
    assert refusal.customer is None and refusal.payload["customer"] == customer.pk


def test_cash_short_of_the_total_is_refused(till, dap):
    answer = refused(send(till, payload(dap, cash_tendered="6000")))
    assert answer["code"] == "cash_short" and "less than the total" in answer["message"]


def test_a_sale_from_the_future_is_refused_and_a_little_skew_is_now(till, dap):
    ahead = payload(dap, sold_at=iso(timezone.now() + timedelta(minutes=30)))
    assert refused(send(till, ahead))["code"] == "sold_at_future"

    before = timezone.now()
    skewed = payload(dap, sold_at=iso(timezone.now() + timedelta(minutes=2)))
    assert send(till, skewed).status_code == 201
    assert before <= Sale.objects.get().sold_at <= timezone.now()


def test_a_sale_older_than_a_week_is_refused(till, dap):
    old = payload(dap, sold_at=iso(timezone.now() - OFFLINE_MAX_AGE - timedelta(minutes=1)))
    answer = refused(send(till, old))
    assert answer["code"] == "sold_at_too_old" and "7 days" in answer["message"]
    in_time = payload(dap, sold_at=iso(timezone.now() - OFFLINE_MAX_AGE + timedelta(minutes=5)))
    assert send(till, in_time).status_code == 201


def test_a_time_without_a_zone_is_refused(till, dap):
    body = payload(dap, sold_at="2026-12-07T10:15:00")
    answer = refused(send(till, body), status=400)
    assert answer["code"] == "invalid" and "time zone" in answer["message"]
    assert OfflineSaleRefusal.objects.get().sold_at is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"till_token": "nope"}',
        b'{"till_token": 5}',
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"till_token": "%s", "total": NaN}' % str(uuid.uuid4()).encode(),
        b'{"till_token": "%s", "note": "a\\u0000b"}' % str(uuid.uuid4()).encode(),
        b'{"till_token": "%s", "note": "\\ud800"}' % str(uuid.uuid4()).encode(),
        b"{}" + b" " * 70_000,
    ],
    ids=[
        "not-json",
        "not-an-object",
        "bad-token",
        "number-token",
        "not-utf8",
        "deep",
        "nan",
        "nul",
        "surrogate",
        "too-large",
    ],
)
def test_garbage_is_a_400_answer_and_nothing_is_kept(till, body):
    answer = refused(send(till, body), status=400)
    assert answer["code"] == "invalid"
    assert not Sale.objects.exists() and not OfflineSaleRefusal.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"lines": []},
        {"lines": "DAP"},
        {"lines": [{"product": "x", "quantity": "1", "unit_price": "1"}]},
        {"lines": [{"product": 2**63, "quantity": "1", "unit_price": "1"}]},
        {"lines": [{"product": True, "quantity": "1", "unit_price": "1"}]},
        {"total": "1e30"},
        {"total": "-5"},
        {"total": "1.005"},
        {"cash_tendered": "lots"},
        {"customer": "12; DROP TABLE"},
        {"payment_method": "cheque"},
        {"mpesa_code": 12},
    ],
)
def test_a_sale_with_an_unreadable_field_is_refused_and_kept(till, dap, fields):
    body = payload(dap, **fields)
    answer = refused(send(till, body), status=400)
    assert answer["code"] == "invalid"
    assert refused(send(till, body), status=400) == answer
    assert OfflineSaleRefusal.objects.count() == 1 and not Sale.objects.exists()


@pytest.mark.parametrize(
    ("quantity", "code"), [("0", "quantity"), ("-1", "quantity"), ("1.0001", "quantity")]
)
def test_quantities_the_till_does_not_sell_are_refused(till, dap, quantity, code):
    body = payload(dap, quantity=quantity, total="0.00")
    assert refused(send(till, body))["code"] == code


def test_too_many_lines_are_refused(till, dap):
    line = {"product": dap.pk, "quantity": "1", "unit_price": "3500.00"}
    body = payload(dap, lines=[line] * 500, total=f"{3500 * 500:.2f}")
    answer = refused(send(till, body))
    assert not Sale.objects.exists() and answer["code"]


# --- who may send, and the database going away --------------------------------------------


def test_a_user_without_the_till_permission_gets_403_json(client, no_role_user, dap):
    client.force_login(no_role_user)
    response = send(client, payload(dap))
    assert response.status_code == 403 and response.json()["status"] == "forbidden"
    assert not Sale.objects.exists() and not OfflineSaleRefusal.objects.exists()


def test_anonymous_is_sent_to_log_in(client, dap):
    response = send(client, payload(dap))
    assert response.status_code == 302 and "/login/" in response.url


def test_a_get_is_not_allowed(till):
    assert till.get(SALE_URL).status_code == 405


def test_a_lost_database_is_a_503_json_answer(till, dap, monkeypatch):
    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "offline_sale_record", database_gone)
    response = send(till, payload(dap))
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["status"] == "unavailable" and response.json()["message"]


def test_a_lost_database_before_the_view_is_a_503_json_answer(cashier, dap, monkeypatch):
    """The session is read outside the view (core/errors.py answers JSON to a script)."""
    from django.contrib.sessions.backends.db import SessionStore

    client = Client(raise_request_exception=False)
    client.force_login(cashier)

    def database_gone(self):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(SessionStore, "load", database_gone)
    response = send(client, payload(dap))
    assert response.status_code == 503 and response.json()["status"] == "unavailable"
    page = client.get(reverse("sales:sale_list"))
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")


# --- what the browser keeps ---------------------------------------------------------------


def test_the_product_list_is_every_product_on_sale_by_name(till, manager):
    make_product(name="Urea 50 kg", retail_price="3200.5", wholesale_price="3000", code="UREA")
    make_product(name="CAN 50 kg", retail_price="2900", code="CAN")
    make_product(name="Old seed", retail_price="10", code="OLD", is_active=False)

    with CaptureQueriesContext(connection) as queries:
        response = till.get(PRODUCTS_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-cache" and response["ETag"]
    body = response.json()
    assert body["price_lists"] == {"retail": 3, "wholesale": 4}
    assert body["columns"] == ["id", "code", "name", "retail_price", "wholesale_price"]
    assert [row[1:] for row in body["products"]] == [
        ["CAN", "CAN 50 kg", "2900.00", "2900.00"],
        ["UREA", "Urea 50 kg", "3200.50", "3000.00"],
    ]
    assert body["products"][0][0] == Product.objects.get(code="CAN").pk
    assert timezone.datetime.fromisoformat(body["generated_at"]).tzinfo is not None
    product_queries = [q["sql"] for q in queries.captured_queries if "sales_product" in q["sql"]]
    assert len(product_queries) == 1

    unchanged = till.get(PRODUCTS_URL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert unchanged.status_code == 304
    Product.objects.filter(code="CAN").update(retail_price=Decimal("2950"))
    assert till.get(PRODUCTS_URL, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


def test_the_product_list_takes_one_query_at_any_size(till, django_assert_max_num_queries):
    for number in range(50):
        make_product(name=f"Product {number:03d}")
    till.get(PRODUCTS_URL)  # the session and permissions are read once per request anyway
    with CaptureQueriesContext(connection) as queries:
        assert len(till.get(PRODUCTS_URL).json()["products"]) == 50
    assert sum("sales_product" in q["sql"] for q in queries.captured_queries) == 1


def test_the_service_worker_is_served_for_the_till_scope(till, settings):
    response = till.get(SW_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/till/"
    source = settings.BASE_DIR / "static" / "js" / "till_sw.js"
    assert response.content == source.read_bytes()
    assert till.get(SW_URL, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


# --- the managers' list -------------------------------------------------------------------


def refuse(cashier, product, **fields) -> OfflineSaleRefusal:
    body = payload(product, payment_method="credit", **fields)
    return offline_sale_record(cashier=cashier, payload=body).refusal


def test_managers_see_the_refusals_newest_first(client, manager, cashier, dap):
    older = refuse(cashier, dap, sold_at=iso(timezone.now() - timedelta(days=2)))
    newer = refuse(cashier, dap, quantity="3")
    client.force_login(manager)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    rows = [row.record for row in response.context["table"].paginated_rows]
    assert rows == [newer, older]
    page = response.content.decode()
    assert "DAP 50 kg × 3 @ 3500.00" in page and "Credit needs the connection" in page
    assert "Waiting for a manager" in page
    assert reverse("sales:offline_refusal_deal", args=[newer.pk]) in page


def test_the_list_filters_by_status_and_day(client, manager, cashier, dap):
    today = refuse(cashier, dap)
    two_days_ago = refuse(cashier, dap, sold_at=iso(timezone.now() - timedelta(days=2)))
    offline_refusal_deal(actor=manager, refusal=two_days_ago, note="Sold again on credit.")
    client.force_login(manager)

    def listed(**params):
        response = client.get(LIST_URL, params)
        return [row.record for row in response.context["table"].paginated_rows]

    assert listed(status="waiting") == [today]
    assert listed(status="dealt_with") == [two_days_ago]
    day = timezone.localdate(two_days_ago.sold_at).isoformat()
    assert listed(date_from=day, date_to=day) == [two_days_ago]
    assert listed(status="nonsense") == []


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(
    client, manager, cashier, dap, make_customer
):
    customer = make_customer()
    refusal = refuse(cashier, dap, customer=customer.pk)
    offline_refusal_deal(actor=manager, refusal=refusal, note="Refunded.")
    client.force_login(manager)
    client.get(LIST_URL)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)
    for _number in range(10):
        refuse(cashier, dap, customer=customer.pk)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST_URL)
    assert len(response.context["table"].paginated_rows) == 11
    assert len(many) == len(few)


def test_a_manager_marks_a_refusal_dealt_with(client, manager, cashier, dap):
    refusal = refuse(cashier, dap)
    client.force_login(manager)
    url = reverse("sales:offline_refusal_deal", args=[refusal.pk])

    assert client.get(url).status_code == 200
    empty = client.post(url, {"note": "   "})
    assert empty.status_code == 200 and empty.context["form"].errors
    response = client.post(url, {"note": "Sold again on credit as sale 12."})

    assert response.status_code == 302 and response.url.startswith(LIST_URL)
    refusal.refresh_from_db()
    assert refusal.dealt_with_by == manager and refusal.dealt_with_at is not None
    assert refusal.note == "Sold again on credit as sale 12."
    event = AuditEvent.objects.get(action=AuditAction.OFFLINE_REFUSAL_DEALT_WITH)
    assert event.actor == manager and event.target_id == refusal.pk
    page = client.get(LIST_URL).content.decode()
    assert "Dealt with" in page and "Sold again on credit as sale 12." in page
    # Once only: the page sends a second visit back to the list, a second POST is refused.
    assert client.get(url).status_code == 302
    again = client.post(url, {"note": "Again"})
    assert again.status_code == 200 and "already dealt with" in again.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.OFFLINE_REFUSAL_DEALT_WITH).count() == 1


def test_a_cashier_may_not_see_or_deal_with_refusals(client, cashier, dap):
    refusal = refuse(cashier, dap)
    client.force_login(cashier)
    url = reverse("sales:offline_refusal_deal", args=[refusal.pk])
    assert client.get(LIST_URL).status_code == 403
    assert client.post(url, {"note": "Mine"}).status_code == 403
    refusal.refresh_from_db()
    assert not refusal.is_dealt_with


def test_the_sales_list_shows_managers_how_many_wait(client, manager, cashier, dap):
    client.force_login(manager)
    assert (
        'data-testid="offline-refusals-waiting"'
        not in client.get(reverse("sales:sale_list")).content.decode()
    )
    refuse(cashier, dap)
    refuse(cashier, dap)
    page = client.get(reverse("sales:sale_list")).content.decode()
    assert 'data-testid="offline-refusals-waiting">2<' in page
    client.force_login(cashier)
    assert "offline-refusals-link" not in client.get(reverse("sales:sale_list")).content.decode()


# --- the same sale sent by two requests at once (PostgreSQL) --------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency tests need PostgreSQL; run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrated_reference_data")
class TestAtOnce:
    """A queue flushed from two tabs (or a resend racing a slow answer)."""

    def test_one_sale_sent_eight_times_at_once_is_recorded_once(self, cashier, dap):
        from tests.sales.test_sale_concurrency import describe, run_together

        body = payload(dap, payment_method="mpesa", mpesa_code=next_mpesa_code())
        answers, errors = run_together(
            8, lambda index: offline_sale_record(cashier=cashier, payload=body).status
        )
        assert not errors, describe(errors)
        assert sorted(answers) == ["already_recorded"] * 7 + ["recorded"]
        assert Sale.objects.count() == 1 and not OfflineSaleRefusal.objects.exists()

    def test_one_refused_sale_sent_eight_times_at_once_is_kept_once(self, cashier, dap):
        from tests.sales.test_sale_concurrency import describe, run_together

        body = payload(dap, payment_method="credit")
        answers, errors = run_together(
            8, lambda index: offline_sale_record(cashier=cashier, payload=body).message
        )
        assert not errors, describe(errors)
        assert len(set(answers)) == 1 and OfflineSaleRefusal.objects.count() == 1

    def test_two_sales_with_one_mpesa_code_at_once_record_one(self, cashier, dap):
        from tests.sales.test_sale_concurrency import describe, run_together

        code = next_mpesa_code()
        bodies = [payload(dap, payment_method="mpesa", mpesa_code=code) for _ in range(8)]
        answers, errors = run_together(
            8, lambda index: offline_sale_record(cashier=cashier, payload=bodies[index])
        )
        assert not errors, describe(errors)
        assert sorted(answer.status for answer in answers) == ["recorded"] + ["refused"] * 7
        assert {answer.refusal.code for answer in answers if answer.refusal} == {"mpesa_code_used"}
        assert Sale.objects.count() == 1 and OfflineSaleRefusal.objects.count() == 7
