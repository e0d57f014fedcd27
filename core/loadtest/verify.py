"""What must hold after a run of `make loadtest`, read from what the staff saw (the requests and
the receipts the server acknowledged, written by core/loadtest/locustfile.py) and from the
database itself.

- The requests: how many, how fast (median, p95, p99, per page), and which failed. Without a
  fault none may fail. With the database restarted, failures are allowed only while it was
  away (and a few seconds after, while the first requests reconnect), each a 503 page, and
  requests succeed again after it without restarting anything.
- The money: every sale and payment acknowledged with a receipt is in the database, under the
  token of the form that sent it, exactly once, with the number the receipt showed; nothing was
  recorded that no one was shown; each sale's lines add up to its total and it has its payment;
  every credit balance equals its ledger (`check_credit_balances`, the credit issue's check).
"""

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db.models import Count, DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.bench import percentile
from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from credit.models import CreditPayment
from sales.models import Payment, Sale, SaleLine

# Staff of the load test (core.loadtest.shop).
STAFF_PREFIX = "load-"


@dataclass(frozen=True)
class Request:
    started: float  # seconds since the epoch
    kind: str
    name: str
    ms: float
    status: int  # 0: no answer
    error: str

    @property
    def ended(self) -> float:
        return self.started + self.ms / 1000

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass(frozen=True)
class Outage:
    """When the database was away: stopped at `down`, answering again at `up` (epoch seconds);
    requests may fail until `up + grace`."""

    down: float
    up: float
    grace: float

    def covers(self, request: Request) -> bool:
        return request.ended >= self.down and request.started <= self.up + self.grace


def read_requests(path: Path) -> list[Request]:
    with path.open(newline="") as file:
        return [
            Request(float(started), kind, name, float(ms), int(status), error)
            for started, kind, name, ms, status, error in csv.reader(file)
        ]


def timings(requests: list[Request]) -> dict:
    """Counts and times (the same percentiles as `make bench`: core.bench.percentile)."""
    times = sorted(r.ms for r in requests if r.kind != "CHECK")
    failures = sum(r.failed for r in requests)
    if not times:
        return {"requests": 0, "failures": failures}
    return {
        "requests": len(times),
        "failures": failures,
        "median_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "max_ms": round(times[-1], 1),
    }


def request_report(requests: list[Request], outage: Outage | None) -> tuple[dict, list[str]]:
    """The requests' figures, and what is wrong with them (empty: nothing)."""
    problems = []
    if not requests:
        return {}, ["no request was made"]
    first, last = min(r.started for r in requests), max(r.ended for r in requests)
    by_name = defaultdict(list)
    for request in requests:
        by_name[request.name].append(request)
    report = {
        **timings(requests),
        "measured_seconds": round(last - first, 1),
        "requests_per_second": round(len(requests) / max(last - first, 1e-9), 1),
        "pages": {name: timings(rows) for name, rows in sorted(by_name.items())},
    }
    failures = [r for r in requests if r.failed]
    if outage is None:
        if failures:
            problems.append(f"{len(failures)} request(s) failed: {_examples(failures)}")
        return report, problems

    during = [r for r in requests if outage.covers(r)]
    after = [r for r in requests if r.started > outage.up + outage.grace]
    outside = [r for r in failures if not outage.covers(r)]
    not_503 = [r for r in failures if outage.covers(r) and r.status != 503]
    report["outage"] = {
        "database_away_seconds": round(outage.up - outage.down, 1),
        "requests_while_away": len(during),
        "refused_with_503": sum(r.status == 503 for r in during if r.failed),
        "failed_otherwise_while_away": len(not_503),
        "failed_outside": len(outside),
        "requests_after": len(after),
        "failures_after": sum(r.failed for r in after),
        "after": timings(after),
    }
    if outside:
        problems.append(
            f"{len(outside)} request(s) failed outside the outage: {_examples(outside)}"
        )
    if not_503:
        problems.append(
            f"{len(not_503)} request(s) failed during the outage without the 503 page: "
            f"{_examples(not_503)}"
        )
    if not after:
        problems.append("no request was made after the database came back")
    return report, problems


def _examples(requests: list[Request], count: int = 5) -> str:
    return "; ".join(
        f"{r.name} at {datetime.fromtimestamp(r.started, UTC):%H:%M:%S} "
        f"({_answer(r)}: {r.error[:120]})"
        for r in requests[:count]
    )


def _answer(request: Request) -> str:
    if request.kind == "CHECK":
        return "page"  # a page came back, but not the one the work needed
    return str(request.status) if request.status else "no answer"


def read_acknowledged(path: Path) -> dict[str, list[dict]]:
    acknowledged = {"sale": [], "payment": []}
    if path.exists():
        for line in path.read_text().splitlines():
            ack = json.loads(line)
            acknowledged[ack["kind"]].append(ack)
    return acknowledged


def money_report(acknowledged: dict[str, list[dict]], *, since: datetime) -> tuple[dict, list]:
    """Hold the database to every receipt shown since `since`; then the ledger."""
    problems = []
    sales, payments = acknowledged["sale"], acknowledged["payment"]
    recorded_sales, sale_problems = _held_to_receipts(
        "sale",
        sales,
        Sale.objects.filter(till_token__in=[a["token"] for a in sales]),
        token_field="till_token",
        shown_to="cashier",
        of_the_run=Sale.objects.filter(
            cashier__username__startswith=STAFF_PREFIX, sold_at__gte=since
        ),
    )
    problems += sale_problems + _sales_whole(since)
    _recorded, payment_problems = _held_to_receipts(
        "payment",
        payments,
        CreditPayment.objects.filter(form_token__in=[a["token"] for a in payments]),
        token_field="form_token",
        shown_to="manager",
        of_the_run=CreditPayment.objects.filter(
            received_by__username__startswith=STAFF_PREFIX, received_at__gte=since
        ),
    )
    problems += payment_problems

    ledger = StringIO()
    try:
        call_command("check_credit_balances", stdout=ledger)
    except CommandError as error:
        problems.append(f"check_credit_balances: {error} {ledger.getvalue().strip()}")
    by_method = dict(
        Sale.objects.filter(pk__in=recorded_sales)
        .values_list("payment_method")
        .annotate(Count("pk"))
    )
    report = {
        "sales_acknowledged": len(sales),
        "sales_by_method": by_method,
        "payments_acknowledged": len(payments),
        "ledger": ledger.getvalue().strip() or "differs (see problems)",
    }
    return report, problems


def _held_to_receipts(
    kind: str, acknowledged: list[dict], recorded, *, token_field, shown_to, of_the_run
) -> tuple[list[int], list[str]]:
    """Hold `recorded` (the rows of the acknowledged forms' tokens) to the receipts shown, and
    `of_the_run` (every row the run's staff made) to them too; returns the recorded ids."""
    by_token = {str(token): pk for token, pk in recorded.values_list(token_field, "pk")}
    problems = []
    tokens = [a["token"] for a in acknowledged]
    if len(set(tokens)) != len(tokens):
        problems.append(f"a {kind} form was acknowledged twice under one token")
    missing = [a for a in acknowledged if a["token"] not in by_token]
    if missing:
        problems.append(
            f"{len(missing)} acknowledged {kind}(s) are not in the database: "
            f"{[a['id'] for a in missing[:10]]}"
        )
    wrong = [a for a in acknowledged if a["token"] in by_token and by_token[a["token"]] != a["id"]]
    if wrong:
        problems.append(
            f"{len(wrong)} {kind} receipt(s) showed a number other than the recorded one"
        )
    unshown = of_the_run.exclude(pk__in=by_token.values())
    if unshown.exists():
        problems.append(
            f"{unshown.count()} {kind}(s) recorded that no {shown_to} was shown a receipt for: "
            f"{list(unshown.values_list('pk', flat=True)[:10])}"
        )
    return list(by_token.values()), problems


def _sales_whole(since: datetime) -> list[str]:
    """Every sale of the run has lines adding up to its total and one payment."""
    money = DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    lines_total = (
        SaleLine.objects.filter(sale=OuterRef("pk"))
        .values("sale")
        .annotate(total=Sum("line_total"))
        .values("total")
    )
    sales = Sale.objects.filter(cashier__username__startswith=STAFF_PREFIX, sold_at__gte=since)
    broken = sales.annotate(
        lines_sum=Coalesce(Subquery(lines_total, output_field=money), Value(Decimal(0)))
    ).exclude(lines_sum=F("total"))
    unpaid = sales.exclude(pk__in=Payment.objects.values("sale"))
    problems = []
    if broken.exists():
        problems.append(
            f"{broken.count()} sale(s) whose lines do not add up to the total: "
            f"{list(broken.values_list('pk', flat=True)[:10])}"
        )
    if unpaid.exists():
        problems.append(f"{unpaid.count()} sale(s) without their payment")
    return problems
