"""The load test's own judgement (core/loadtest/): how its staff read forms off pages, and what
it calls a failure. The run itself is `make loadtest` (CI runs it)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.bench import percentile
from core.loadtest.html import read_form
from core.loadtest.verify import Outage, Request, money_report, request_report, timings
from tests.factories import sell

PAGE = """
<form method="post" action="/logout/">
  <input type="hidden" name="csrfmiddlewaretoken" value="t">
</form>
<form id="till" method="post">
  <input type="hidden" name="csrfmiddlewaretoken" value="t">
  <input type="hidden" name="till_token" value="8f1c">
  <input type="hidden" name="line_product" value="3"><input name="line_quantity" value="2">
  <input type="hidden" name="line_product" value="5"><input name="line_quantity" value="0.5">
  <input type="radio" name="payment_method" value="cash">
  <input type="radio" name="payment_method" value="mpesa" checked>
  <input type="checkbox" name="send_sms">
  <input type="text" name="disabled_one" value="x" disabled>
  <select name="group">
    <option value="">---</option><option value="2" selected>Wholesale</option>
  </select>
  <select name="village"><option value="Mwingi">Mwingi</option></select>
  <textarea name="notes">Pays &amp; collects</textarea>
  <button type="submit" name="action" value="complete">Complete</button>
</form>
"""


def test_a_form_is_read_as_a_browser_sends_it():
    form = read_form(PAGE, "till")
    assert form.getlist("line_product") == ["3", "5"]
    assert form.getlist("line_quantity") == ["2", "0.5"]
    assert form.get("payment_method") == "mpesa"
    assert form.get("group") == "2" and form.get("village") == "Mwingi"
    assert form.get("notes") == "Pays & collects"
    assert form.get("send_sms", "absent") == "absent"  # unchecked boxes are not sent
    assert form.get("disabled_one", "absent") == "absent"
    form.set("payment_method", "cash")
    sent = form.submit("action", "complete")
    assert sent.count(("payment_method", "cash")) == 1 and ("payment_method", "mpesa") not in sent
    assert sent[-1] == ("action", "complete")


def test_the_form_is_found_by_id_or_by_a_field_past_the_logout_button():
    assert read_form(PAGE).get("till_token", "none") == "none"  # the first: log-out
    assert read_form(PAGE, with_field="till_token").get("till_token") == "8f1c"
    assert read_form(PAGE, "missing") is None
    assert read_form("<p>no form</p>") is None


def request(at: float, ms: float = 20, status: int = 200, error: str = "") -> Request:
    return Request(at, "GET", "till", ms, status, error)


def test_times_are_the_percentiles_make_bench_reports():
    requests = [request(at=n, ms=float(ms)) for n, ms in enumerate(range(100, 0, -1))]
    figures = timings(requests)
    samples = [float(ms) for ms in range(1, 101)]
    assert figures["requests"] == 100 and figures["failures"] == 0
    assert figures["median_ms"] == round(percentile(samples, 50), 1) == 50.5
    assert figures["p95_ms"] == round(percentile(samples, 95), 1) == 95.0
    assert figures["max_ms"] == 100.0
    # A failed check of a piece of work is no request: no time, only its failure.
    check = Request(1.0, "CHECK", "till: complete sale", 0, 0, "no receipt")
    assert timings([check]) == {"requests": 0, "failures": 1}


def test_without_a_fault_any_failed_request_is_a_problem():
    report, problems = request_report([request(1), request(2, status=500, error="HTTP 500")], None)
    assert report["requests"] == 2 and report["failures"] == 1
    assert problems and "1 request(s) failed" in problems[0]
    assert request_report([request(1), request(2)], None)[1] == []


def test_with_the_database_away_only_503_pages_in_the_outage_are_allowed():
    outage = Outage(down=100.0, up=110.0, grace=5.0)
    allowed = [
        request(50),
        request(99.99, ms=50, status=503, error="503"),  # in flight when it went away
        request(108, status=503, error="503"),
        request(114, status=503, error="503"),  # reconnecting
        request(120),
    ]
    report, problems = request_report(allowed, outage)
    assert problems == []
    assert report["outage"]["refused_with_503"] == 3
    assert report["outage"]["requests_after"] == 1

    _report, problems = request_report(
        [*allowed, request(108, status=500, error="HTTP 500")], outage
    )
    assert any("without the 503 page" in problem for problem in problems)
    _report, problems = request_report([*allowed, request(130, status=503, error="503")], outage)
    assert any("outside the outage" in problem for problem in problems)
    _report, problems = request_report(allowed[:-1], outage)
    assert any("no request was made after" in problem for problem in problems)


@pytest.mark.django_db
def test_every_receipt_shown_is_held_to_the_database(make_customer):
    since = timezone.now() - timedelta(seconds=1)
    cashier = User.objects.create_user("load-cashier-01")  # the load test's staff
    customer = make_customer(credit_limit=Decimal("5000"))
    shown = sell(
        cashier=cashier,
        customer=customer,
        total="400",
        payment_method="credit",
        till_token=uuid.uuid4(),
    )
    unshown = sell(cashier=cashier, total="90", payment_method="cash", till_token=uuid.uuid4())
    acknowledged = {
        "sale": [
            {"id": shown.pk, "token": str(shown.till_token)},
            {"id": 999999, "token": "1b4e28ba-2fa1-11d2-883f-0016d3cca427"},  # never recorded
        ],
        "payment": [],
    }
    report, problems = money_report(acknowledged, since=since)
    assert report["sales_acknowledged"] == 2
    assert any("1 acknowledged sale(s) are not in the database" in p for p in problems)
    assert any(f"no cashier was shown a receipt for: [{unshown.pk}]" in p for p in problems)
    assert not any("ledger" in p or "check_credit_balances" in p for p in problems)

    acknowledged = {
        "sale": [
            {"id": shown.pk, "token": str(shown.till_token)},
            {"id": unshown.pk, "token": str(unshown.till_token)},
        ],
        "payment": [],
    }
    assert money_report(acknowledged, since=since)[1] == []
