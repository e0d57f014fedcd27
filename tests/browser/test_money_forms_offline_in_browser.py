"""The forms that record money, when the answer does not come back: a server error, the database
away, the link dropped before sending, or dropped after the server recorded it. The person sees
a banner on the form that says what happened and whether it is recorded, the values stay, and
pressing again records it once or lands on what the first press recorded
(static/js/safe_submit.js)."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from credit.models import CreditEntry, CreditEntryKind, CreditPayment
from sales.models import Sale
from tests.factories import sell

browser_test = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNSURE = "Not sure it was recorded: the connection dropped. Press Receive Payment again"
NOT_RECORDED_503 = "Not recorded: the database is not answering."
SERVER_ERROR = "Something went wrong on the server; the payment is most likely not recorded."


@pytest.fixture
def owing(make_customer, cashier):
    """Mutua owes KES 3,500 on a credit sale."""
    customer = make_customer(name="Mutua Musyoka", credit_limit=Decimal("10000"))
    sell(cashier=cashier, customer=customer, total="3500", payment_method="credit")
    customer.refresh_from_db()
    return customer


def payment_url(customer) -> str:
    return reverse("credit:payment_receive", args=[customer.pk])


def open_payment_form(page, live_server, customer, amount="1,500"):
    page.goto(f"{live_server.url}{payment_url(customer)}")
    page.get_by_label("Amount paid (KES)").fill(amount)
    page.get_by_label("Cash", exact=True).check()


def press(page, name="Receive Payment"):
    page.get_by_role("button", name=name).click()


def on_post(handler):
    """A route handler that lets every GET through and hands each POST to `handler`."""

    def route_handler(route):
        if route.request.method == "POST":
            handler(route)
        else:
            route.continue_()

    return route_handler


def expect_banner(page, text):
    banner = page.get_by_test_id("safe-submit-banner")
    expect(banner).to_contain_text(text)
    expect(banner).to_have_attribute("role", "alert")
    return banner


def expect_receipt_of_one_payment(page, customer, amount="1500.00"):
    expect(page.get_by_test_id("receipt")).to_be_visible()
    payment = CreditPayment.objects.get()
    customer.refresh_from_db()
    assert payment.amount == Decimal(amount)
    assert customer.credit_balance == Decimal("3500") - Decimal(amount)
    assert page.url.endswith(payment.get_absolute_url())


@pytest.mark.parametrize(
    ("status", "banner"), [(500, SERVER_ERROR), (503, NOT_RECORDED_503)], ids=["500", "503"]
)
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_server_error_is_a_banner_on_the_form_and_pressing_again_records_once(
    page, live_server, log_in, cashier, owing, status, banner
):
    log_in(cashier)
    open_payment_form(page, live_server, owing)
    held = []
    page.route(f"**{payment_url(owing)}", on_post(held.append))
    press(page)

    # While it waits: the button says so and cannot be pressed twice.
    sending = page.get_by_role("button", name="Sending…")
    expect(sending).to_be_disabled()
    page.wait_for_timeout(50)
    assert len(held) == 1
    held[0].fulfill(status=status, body="<h1>error</h1>", content_type="text/html")

    expect_banner(page, banner)
    expect(page.get_by_role("button", name="Receive Payment")).to_be_enabled()
    expect(page.get_by_label("Amount paid (KES)")).to_have_value("1,500")
    assert not CreditPayment.objects.exists()

    page.unroute(f"**{payment_url(owing)}")
    press(page)
    expect_receipt_of_one_payment(page, owing)
    expect(page.get_by_role("alert")).to_contain_text("Balance now KES 2,000.00")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_form_sent_back_with_its_errors_is_sent_safely_again(
    page, live_server, log_in, cashier, owing
):
    """The answer with the form's errors becomes the page, and its own form is sent safely."""
    log_in(cashier)
    open_payment_form(page, live_server, owing, amount="9,000")
    press(page)
    expect(
        page.get_by_text("is more than the KES 3,500.00 that Mutua Musyoka owes")
    ).to_be_visible()
    assert page.url.endswith(payment_url(owing))

    page.get_by_label("Amount paid (KES)").fill("1,500")
    page.context.set_offline(True)
    press(page)
    expect_banner(page, UNSURE)  # the page written from the answer sends safely too
    page.context.set_offline(False)
    press(page)
    expect_receipt_of_one_payment(page, owing)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_offline_at_submit_is_a_banner_and_pressing_again_online_records_once(
    page, live_server, log_in, cashier, owing
):
    log_in(cashier)
    open_payment_form(page, live_server, owing)
    page.context.set_offline(True)
    press(page)

    expect_banner(page, UNSURE)
    expect(page.get_by_label("Amount paid (KES)")).to_have_value("1,500")
    assert not CreditPayment.objects.exists()

    page.context.set_offline(False)
    press(page)
    expect_receipt_of_one_payment(page, owing)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_answer_in_time_is_a_banner_and_pressing_again_records_once(
    page, live_server, log_in, cashier, owing
):
    log_in(cashier)
    open_payment_form(page, live_server, owing)
    page.locator("form[data-safe-submit]").evaluate("form => form.dataset.timeoutMs = 300")
    held = []
    page.route(f"**{payment_url(owing)}", on_post(held.append))  # never answered
    press(page)

    expect_banner(page, UNSURE)
    expect(page.get_by_label("Amount paid (KES)")).to_have_value("1,500")
    held[0].abort()
    page.unroute(f"**{payment_url(owing)}")
    press(page)
    expect_receipt_of_one_payment(page, owing)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_answer_lost_after_the_payment_was_recorded_lands_on_its_receipt(
    page, live_server, log_in, cashier, owing
):
    log_in(cashier)
    open_payment_form(page, live_server, owing)

    def record_then_drop(route):
        route.fetch(max_redirects=0)  # the server records the payment...
        route.abort("connectionreset")  # ...and the browser never hears of it

    page.route(f"**{payment_url(owing)}", on_post(record_then_drop))
    press(page)

    expect_banner(page, UNSURE)
    expect(page.get_by_label("Amount paid (KES)")).to_have_value("1,500")
    assert CreditPayment.objects.count() == 1

    page.unroute(f"**{payment_url(owing)}")
    press(page)
    expect_receipt_of_one_payment(page, owing)
    # (The route's own fetch kept the first answer's "received" message, which a real dropped
    # link would have lost: look for the second answer's.)
    expect(
        page.get_by_text("This payment was already recorded; here is its receipt.")
    ).to_be_visible()
    assert CreditEntry.objects.filter(kind=CreditEntryKind.PAYMENT).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_adjustment_whose_answer_was_lost_is_recorded_once(
    page, live_server, log_in, manager, owing
):
    log_in(manager)
    url = reverse("credit:credit_adjust", args=[owing.pk])
    page.goto(f"{live_server.url}{url}")
    page.get_by_label("Adjustment (KES)").fill("+200")
    page.get_by_label("Reason").fill("Bag of feed taken on Monday, not rung up")

    def record_then_drop(route):
        route.fetch(max_redirects=0)
        route.abort("connectionreset")

    page.route(f"**{url}", on_post(record_then_drop))
    press(page, "Record adjustment")
    expect_banner(page, "Not sure it was recorded: the connection dropped.")
    expect(page.get_by_label("Reason")).to_have_value("Bag of feed taken on Monday, not rung up")

    page.unroute(f"**{url}")
    press(page, "Record adjustment")
    expect(page.get_by_text("This adjustment was already recorded.")).to_be_visible()
    assert CreditEntry.objects.filter(kind=CreditEntryKind.ADJUSTMENT).count() == 1
    owing.refresh_from_db()
    assert owing.credit_balance == Decimal("3700")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_void_sent_while_offline_is_voided_once_when_pressed_again(
    page, live_server, log_in, manager, cashier, owing
):
    sale = Sale.objects.get()
    log_in(manager)
    page.goto(f"{live_server.url}{reverse('sales:sale_void', args=[sale.pk])}")
    page.get_by_label("Reason").fill("Rung up twice")
    page.context.set_offline(True)
    press(page, "Void sale")
    expect_banner(page, "Not sure the sale was voided: the connection dropped.")
    sale.refresh_from_db()
    assert sale.voided_at is None

    page.context.set_offline(False)
    press(page, "Void sale")
    expect(page.get_by_role("alert")).to_contain_text(f"Sale {sale.pk} voided.")
    sale.refresh_from_db()
    owing.refresh_from_db()
    assert sale.voided_at is not None
    assert owing.credit_balance == 0
    assert CreditEntry.objects.filter(kind=CreditEntryKind.SALE_VOIDED).count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_javascript_the_payment_form_posts_as_a_plain_form(
    browser, live_server, cashier, owing
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(cashier.username)
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.get_by_role("button", name="Log in").click()
    open_payment_form(page, live_server, owing)
    press(page)
    expect_receipt_of_one_payment(page, owing)
    context.close()


# --- every money form is marked --------------------------------------------------------------

TEMPLATES = Path(settings.BASE_DIR) / "templates"
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>", re.IGNORECASE | re.DOTALL)
# Posts that record no money; anything new must be added here or carry data-safe-submit.
NOT_MONEY = {
    "base.html",  # log out
    "registration/login.html",
    "core/service_form.html",  # products and customers
    "customers/customer_confirm_delete.html",
    "sales/product_confirm_delete.html",
    "imports/upload.html",
    "imports/detail.html",
    "sales/_till.html",  # the till has its own script (static/js/till.js)
    "sales/offline_refusal_deal.html",  # a note on a refused offline sale, no money
}
MESSAGES = ("data-sending-label", "data-unsure", "data-unavailable", "data-failed")


def test_every_form_that_records_money_is_sent_safely():
    marked = set()
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        text = path.read_text()
        for form in POST_FORM.findall(text):
            if name in NOT_MONEY:
                continue
            assert "data-safe-submit" in form, f"{name}: a post form without data-safe-submit"
            marked.add(name)
            if name != "credit/credit_form.html":  # its messages are in a block
                for attribute in MESSAGES:
                    assert attribute in form, f"{name}: no {attribute}"
        if name in marked:
            assert "js/safe_submit.js" in text, f"{name} does not load safe_submit.js"
    assert marked >= {
        "credit/credit_form.html",
        "sales/sale_confirm_void.html",
        "sales/invoice_confirm.html",
        "sales/receipt.html",
    }


@pytest.mark.django_db
def test_each_credit_form_page_says_what_it_records(client, manager, owing):
    """The credit forms share one template; each page words its banners for what it records."""
    client.force_login(manager)
    pages = {
        "credit:payment_receive": "a payment is never recorded twice",
        "credit:credit_adjust": "an adjustment is never recorded twice",
        "credit:credit_limit": "it sets the same limit again",
    }
    for url_name, promise in pages.items():
        html = client.get(reverse(url_name, args=[owing.pk])).content.decode()
        (form,) = [f for f in POST_FORM.findall(html) if "data-safe-submit" in f]
        for attribute in ("data-unsure", "data-failed"):
            value = re.search(rf'{attribute}="([^"]*)"', form).group(1)
            assert promise in value, (url_name, attribute, value)
        assert re.search(r'data-unavailable="Not (recorded|set): ', form), url_name
        assert "js/safe_submit.js" in html
