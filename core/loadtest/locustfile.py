"""The staff of `make loadtest`, as Locust users: each logs in with a login of their own and
works as a person does, through the pages (every form read off its page and sent back as a
browser sends it, htmx headers where the till uses htmx), with pauses between steps.

- Cashiers ring up sales at the till: look products up as they type, add them, sometimes pick a
  customer, take cash, M-Pesa or credit, complete, open the receipt.
- Managers search and page through the customer list, open customers and their credit, take
  payments on account, and read the reports and the sales list; now and then an SMS export.

Started by core/management/commands/loadtest.py, which passes (environment):
LOADTEST_WORLD (the shop, written by core.loadtest.shop), LOADTEST_OUTPUT (a folder: every
request goes to requests.csv, every sale and payment the server acknowledged to acks.jsonl),
LOADTEST_CASHIERS / LOADTEST_MANAGERS (how many of each), LOADTEST_MPESA_PREFIX (the letters
this run's M-Pesa codes start with), LOADTEST_RETRY_SECONDS (how long a
person keeps pressing "try again" on a 503 or a dropped connection before giving up).

Standard library and Locust only: this process imports no Django.
"""

import csv
import itertools
import json
import os
import random
import re
import time
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import RescheduleTask, StopUser

from core.loadtest.html import Form, read_form

WORLD = json.loads(Path(os.environ["LOADTEST_WORLD"]).read_text())
OUTPUT = Path(os.environ["LOADTEST_OUTPUT"])
RETRY_SECONDS = float(os.environ.get("LOADTEST_RETRY_SECONDS", "60"))
RETRY_PAUSE_SECONDS = 1.0
# M-Pesa codes are accepted once ever: each run's start with letters of their own.
MPESA_PREFIX = os.environ["LOADTEST_MPESA_PREFIX"]
CENTS = Decimal("0.01")
# Two managers paying in the same customer's debt: the second finds less owed than their form
# showed (credit.services refuses it, rightly); the checks after the run make sure nothing was
# written for it.
REFUSED_AS_ALREADY_PAID = re.compile(r"is more than the KES [\d,.]+ that|owes nothing on credit")

# One file each for the whole run (one Locust process; greenlets write whole lines).
_requests_file = (OUTPUT / "requests.csv").open("a", newline="", buffering=1)
_requests_log = csv.writer(_requests_file)
_acks_file = (OUTPUT / "acks.jsonl").open("a", buffering=1)
_logins = {
    "cashier": itertools.cycle(WORLD["cashiers"]),
    "manager": itertools.cycle(WORLD["managers"]),
}
_mpesa_numbers = itertools.count(1)


@events.request.add_listener
def log_request(request_type, name, response_time, response, exception, start_time, **kwargs):
    """Every request, for the checks after the run: when it started, how long it took, what
    the server answered (0: no answer at all), and why it failed."""
    _requests_log.writerow(
        [
            f"{start_time:.3f}",
            request_type,
            name,
            f"{response_time:.1f}",
            getattr(response, "status_code", 0) or 0,
            "" if exception is None else str(exception).replace("\n", " ")[:300],
        ]
    )


def acknowledge(kind: str, pk: str, token: str, username: str) -> None:
    """The server answered with the receipt: the sale or payment is recorded, as far as the
    person at the till knows. The run's checks hold the database to this."""
    _acks_file.write(
        json.dumps(
            {"kind": kind, "id": int(pk), "token": token, "user": username, "at": time.time()}
        )
        + "\n"
    )


def next_mpesa_code() -> str:
    """A fresh M-Pesa code: the run's letters, then a number in base 36 (10 characters)."""
    number = next(_mpesa_numbers)
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digit] + digits
    return MPESA_PREFIX + digits.rjust(10 - len(MPESA_PREFIX), "0")


class Staff(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 3)  # between one piece of work and the next
    # Every answer is read in full, as a browser does; redirects are followed by hand, so the
    # receipt's address (the sale's number) can be read off them.

    def on_start(self):
        self.username = next(_logins[self.role])
        self.rng = random.Random(f"{WORLD['seed']}-{self.username}")
        page = self.send("GET", "/login/", "login page")
        form = read_form(page.text, with_field="username")
        form.set("username", self.username)
        form.set("password", WORLD["password"])
        answer = self.send("POST", "/login/", "login", data=form.submit(), expect=(302,))
        if answer.headers.get("Location", "") in ("", "/login/"):
            raise StopUser(f"{self.username} could not log in")

    # --- one request, as a person sends it ---------------------------------------------

    def send(self, method, path, name, *, data=None, htmx=False, expect=(200,)):
        """Send one request; on a 503 (the database not answering) or no answer at all, wait a
        moment and send the same again, as a person presses "try again", for up to
        RETRY_SECONDS. Any other unexpected answer abandons this piece of work."""
        headers = {"HX-Request": "true"} if htmx else {}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            with self.client.request(
                method,
                path,
                name=name,
                data=body,
                headers=headers,
                allow_redirects=False,
                catch_response=True,
            ) as response:
                status = response.status_code or 0
                if status in expect:
                    response.success()
                    return response
                if status in (0, 503):
                    response.failure(f"{status or 'no answer'}: {response.error or 'retrying'}")
                else:
                    response.failure(f"HTTP {status} for {path}")
                    raise RescheduleTask()
            if time.monotonic() > deadline:
                raise RescheduleTask()
            gevent.sleep(RETRY_PAUSE_SECONDS)

    def fail(self, name: str, message: str):
        """Record a piece of work that went wrong though every answer was a page (say, a sale
        the till refused for no reason the shop has), and abandon it."""
        events.request.fire(
            request_type="CHECK",
            name=name,
            response_time=0,
            response_length=0,
            response=None,
            exception=AssertionError(message),
            start_time=time.time(),
            context={},
            url="",
        )
        raise RescheduleTask()

    def pause(self):
        """A person reading the page or typing before the next click."""
        gevent.sleep(self.rng.uniform(0.3, 1.0))


class Cashier(Staff):
    role = "cashier"
    fixed_count = int(os.environ.get("LOADTEST_CASHIERS", "35"))

    @task
    def ring_up_a_sale(self):
        page = self.send("GET", "/till/", "till")
        form = read_form(page.text, "till")
        for _line in range(self.rng.choice((1, 1, 2, 2, 3, 4))):
            form = self.add_product(form)
        method = self.rng.choices(("cash", "mpesa", "credit"), weights=(5, 3, 2))[0]
        if method == "credit":
            form = self.choose_customer(form, self.rng.choice(WORLD["credit_customers"]))
        elif self.rng.random() < 0.3:
            form = self.choose_customer(form, self.rng.choice(WORLD["customers"]))
        form.set("payment_method", method)
        if method == "cash":
            form.set("cash_tendered", str(tender_for(cart_total(form))))
        elif method == "mpesa":
            form.set("mpesa_code", next_mpesa_code())
        self.pause()
        sent = form.submit("action", "complete")
        answer = self.send("POST", "/till/", "till: complete sale", data=sent, htmx=True)
        receipt = answer.headers.get("HX-Redirect", "")
        recorded = re.fullmatch(r"/sales/(\d+)/receipt/", receipt)
        if recorded is None:
            self.fail("till: complete sale", f"no receipt: {till_errors(answer.text)}")
        acknowledge("sale", recorded[1], form.get("till_token"), self.username)
        self.send("GET", receipt, "till: receipt")

    def add_product(self, form: Form) -> Form:
        """Type a product's name (or code), pick it from the suggestions."""
        product = self.rng.choice(WORLD["products"])
        return self.pick(form, "product", product, "add_product", "till: add product")

    def choose_customer(self, form: Form, customer: dict) -> Form:
        """Type a customer's name (or phone), pick them from the suggestions."""
        return self.pick(form, "customer", customer, "choose_customer", "till: choose customer")

    def pick(self, form: Form, kind: str, thing: dict, action: str, name: str) -> Form:
        """The till's search box for `kind`: type, wait for the suggestions (the till's search
        view), press the one for `thing`; the till comes back with it in the cart."""
        self.pause()
        query = urlencode({f"{kind}_query": thing["query"]})
        matches = self.send("GET", f"/till/{kind}s/?{query}", f"till: {kind} search", htmx=True)
        button = f"{action}:{thing['id']}"
        if f'value="{button}"' not in matches.text:
            self.fail(f"till: {kind} search", f"{thing['query']!r} did not offer {button}")
        page = self.send("POST", "/till/", name, data=form.submit("action", button), htmx=True)
        return read_form(page.text, "till")


class Manager(Staff):
    role = "manager"
    fixed_count = int(os.environ.get("LOADTEST_MANAGERS", "15"))

    @task(4)
    def page_through_customers(self):
        sort = self.rng.choice(("", "name", "-credit_balance", "-last_sale_at"))
        path = "/customers/" + (f"?{urlencode({'sort': sort})}" if sort else "")
        for _page in range(self.rng.randint(1, 3)):
            page = self.send("GET", path, "customers: list")
            following = re.search(r'href="(\?[^"]*)" rel="next"', page.text)
            if following is None:
                break
            path = "/customers/" + following[1].replace("&amp;", "&")
            self.pause()

    @task(4)
    def search_customers(self):
        customer = self.rng.choice(WORLD["customers"])
        by_phone = customer["phone"] and self.rng.random() < 0.3
        typed = customer["phone"] if by_phone else customer["query"]
        page = self.send("GET", f"/customers/?{urlencode({'q': typed})}", "customers: search")
        if f'href="/customers/{customer["id"]}/"' not in page.text:
            self.fail("customers: search", f"{typed!r} did not find customer {customer['id']}")
        self.pause()
        self.send("GET", f"/customers/{customer['id']}/", "customer")
        if customer in WORLD["credit_customers"] or self.rng.random() < 0.3:
            self.pause()
            self.send("GET", f"/customers/{customer['id']}/credit/", "customer: credit")

    @task(1)
    def customers_of_a_cluster(self):
        cluster = self.rng.choice(WORLD["clusters"])
        self.send("GET", f"/customers/?{urlencode({'cluster': cluster})}", "customers: cluster")

    @task(3)
    def take_a_payment(self):
        customer = self.rng.choice(WORLD["credit_customers"])
        path = f"/customers/{customer['id']}/credit/pay/"
        page = self.send("GET", path, "payment form", expect=(200, 302))
        if page.status_code == 302:
            return  # owes nothing: the credit page says so
        owed = amount_owed(page.text)
        if owed is None:
            self.fail("payment form", "the amount owed is not on the page")
        form = read_form(page.text, with_field="amount")
        amount = min(owed, Decimal(self.rng.randrange(100, 3000, 50)))
        form.set("amount", str(amount))
        method = self.rng.choice(("cash", "mpesa"))
        form.set("method", method)
        if method == "mpesa":
            form.set("mpesa_code", next_mpesa_code())
        self.pause()
        answer = self.send("POST", path, "payment: receive", data=form.submit(), expect=(200, 302))
        receipt = answer.headers.get("Location", "")
        recorded = re.fullmatch(r"/credit/payments/(\d+)/receipt/", receipt)
        if answer.status_code != 302 or recorded is None:
            if REFUSED_AS_ALREADY_PAID.search(answer.text):
                return  # another manager took this customer's payment meanwhile: nothing written
            self.fail("payment: receive", f"no receipt: {page_errors(answer.text)}")
        acknowledge("payment", recorded[1], form.get("form_token"), self.username)
        self.send("GET", receipt, "payment: receipt")

    @task(3)
    def read_a_report(self):
        name, path = self.rng.choice(
            (
                ("report: dashboard", "/reports/dashboard/"),
                ("report: credit", "/reports/credit/"),
                ("report: credit ageing", "/reports/credit/ageing/"),
                ("report: payments", "/reports/credit/payments/"),
                ("report: VIP", "/reports/vip/"),
                ("report: activity by cluster", "/reports/activity/clusters/"),
                ("report: audit log", "/reports/audit/"),
            )
        )
        self.send("GET", path, name)

    @task(2)
    def look_up_sales(self):
        day = date.today() - timedelta(days=self.rng.randrange(0, 60))
        query = urlencode({"date_from": day.isoformat(), "date_to": day.isoformat()})
        self.send("GET", f"/sales/?{query}", "sales: a day")
        self.pause()
        self.send("GET", "/sales/", "sales: latest")

    @task(1)
    def export_for_sms(self):
        cluster = self.rng.choice(WORLD["clusters"])
        self.send("GET", f"/customers/export/sms/?{urlencode({'cluster': cluster})}", "export: SMS")


def cart_total(form: Form) -> Decimal:
    """The total the till shows, from the prices and quantities it put in the form."""
    prices = form.getlist("line_price")
    quantities = form.getlist("line_quantity")
    return sum(
        (
            (Decimal(price) * Decimal(quantity)).quantize(CENTS)
            for price, quantity in zip(prices, quantities, strict=True)
        ),
        Decimal(0),
    )


def tender_for(total: Decimal) -> Decimal:
    """What a customer hands over: the total rounded up to the next 100 shillings."""
    return (total / 100).to_integral_value(rounding=ROUND_CEILING) * 100 or Decimal(100)


def amount_owed(page: str) -> Decimal | None:
    owed = re.search(r"owes KES ([\d,]+\.\d\d)", page)
    return Decimal(owed[1].replace(",", "")) if owed else None


def till_errors(page: str) -> str:
    box = re.search(r'data-testid="till-errors">(.*?)</div>\s*</div>', page, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", box[1]).strip() if box else "no message on the page"


def page_errors(page: str) -> str:
    """The form's error messages (crispy's invalid-feedback, a form-wide alert), as text."""
    found = re.findall(
        r'class="[^"]*(?:invalid-feedback|alert-danger)[^"]*"[^>]*>(.*?)</(?:div|span|p)>',
        page,
        re.S,
    )
    texts = (re.sub(r"<[^>]+>|\s+", " ", text).strip() for text in found)
    return "; ".join(text for text in texts if text) or "no message on the page"
