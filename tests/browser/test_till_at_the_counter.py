"""The till where cashiers really are: a 360 x 740 phone, a link that fails or drops, no link at
all, and the keyboard. Each failure must be said on the screen, and no sale recorded twice."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from sales.models import OfflineSaleRefusal, Sale
from tests.browser.till import scan, settled, sign_in
from tests.factories import make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True}
DESK = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def shelf(db):
    names = [
        "DAP fertiliser 50 kg",
        "H614D maize seed 2 kg",
        "CAN top dressing fertiliser 50 kg",
        "Duduthrin insecticide 100 ml",
        "Mũthoni's sukuma wiki seed 50 g",
        "Knapsack sprayer 16 litre",
        "Dairy meal 70 kg",
        "Gumboots size 9",
    ]
    return [
        make_product(name=name, code=f"61611000{index:05d}", retail_price=str(500 + 250 * index))
        for index, name in enumerate(names)
    ]


def at_till(page, live_server, user):
    sign_in(page, live_server, user)
    expect(page).to_have_url(f"{live_server.url}/till/")
    return page


def no_sideways_panning(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def within_the_screen(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"] + 0.5
    )


@pytest.mark.parametrize("screen", [PHONE, DESK], ids=["phone-360x740", "desk-1366x768"])
def test_a_cart_of_eight_lines_fits_the_screen(new_context, live_server, cashier, shelf, screen):
    page = at_till(new_context(**screen).new_page(), live_server, cashier)
    for product in shelf:
        scan(page, product.code)
    expect(page.get_by_test_id("cart-line")).to_have_count(8)
    assert no_sideways_panning(page)

    # Whatever part of the cart is on the screen, the total and Complete are too.
    for line in (0, 7):
        page.get_by_test_id("cart-line").nth(line).scroll_into_view_if_needed()
        assert within_the_screen(page, page.get_by_test_id("till-total"))
        assert within_the_screen(page, page.get_by_test_id("complete-sale"))
    for line in page.get_by_test_id("cart-line").all():
        line.scroll_into_view_if_needed()
        quantity = line.get_by_role("textbox")
        remove = line.get_by_role("button", name="Remove")
        assert within_the_screen(page, quantity) and within_the_screen(page, remove)
        if screen is PHONE:
            assert remove.bounding_box()["height"] >= 44 and remove.bounding_box()["width"] >= 44
    if screen is PHONE:
        for button in page.locator("#till .btn:visible").all():
            assert button.bounding_box()["height"] >= 44, button.inner_text()
        # No keyboard on a phone: no keyboard hints either.
        expect(page.locator(".keyboard-hint").first).to_be_hidden()
    else:
        expect(page.locator(".keyboard-hint").first).to_be_visible()
    assert no_sideways_panning(page)


def complete_requests(route, request):
    return request.method == "POST" and "action=complete" in (request.post_data or "")


@pytest.mark.parametrize(
    ("status", "says"),
    [(500, "Not recorded: something went wrong"), (503, "Not recorded: the shop's database")],
)
def test_a_server_error_at_complete_is_said_and_a_second_press_records_once(
    page, live_server, cashier, shelf, status, says
):
    at_till(page, live_server, cashier)
    scan(page, shelf[0].code)
    page.get_by_label("Cash tendered (KES)").fill("1000")

    def fail_complete(route, request):
        if complete_requests(route, request):
            route.fulfill(status=status, body="<h1>Error</h1>", content_type="text/html")
        else:
            route.continue_()

    page.route("**/till/", fail_complete)
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("till-status")).to_contain_text(says)
    expect(page.get_by_test_id("till-status")).to_contain_text("The cart is kept")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    assert not Sale.objects.exists()

    page.unroute("**/till/")
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    assert Sale.objects.count() == 1


def test_a_link_that_drops_at_complete_keeps_the_sale_and_records_it_once(
    page, live_server, cashier, shelf
):
    """The request never reaches the server (the phone still thinks it has a network)."""
    at_till(page, live_server, cashier)
    scan(page, shelf[1].code)
    page.get_by_label("Cash tendered (KES)").fill("1000")

    def drop(route, request):
        if complete_requests(route, request):
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/till/", drop)
    page.get_by_test_id("complete-sale").click()
    status = page.get_by_test_id("till-status")
    expect(status).to_contain_text("Not recorded yet: the connection dropped")
    expect(status).to_contain_text("recorded only once")
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    assert not Sale.objects.exists()

    page.unroute("**/till/")
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    assert Sale.objects.count() == 1


def test_no_network_at_complete_keeps_the_sale_on_the_phone_and_sends_it_once(
    page, context, live_server, cashier, shelf
):
    at_till(page, live_server, cashier)
    scan(page, shelf[1].code)
    page.get_by_label("Cash tendered (KES)").fill("1000")
    context.set_offline(True)
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("provisional-receipt")).to_contain_text("NOT YET CONFIRMED")
    expect(page.get_by_test_id("till-status")).to_contain_text("not yet in the shop's books")
    assert not Sale.objects.exists()
    # Pressed again on the same cart (New sale not yet pressed): still one sale kept.
    expect(page.get_by_test_id("queued-sale")).to_have_count(1)

    context.set_offline(False)
    expect(page.get_by_test_id("queued-sale-status")).to_contain_text(
        "Recorded as sale", timeout=20_000
    )
    assert Sale.objects.count() == 1


def test_an_answer_lost_after_the_sale_was_recorded_lands_on_its_receipt(
    page, live_server, cashier, shelf
):
    """The server recorded the sale but the answer never arrived: the cashier is told it is
    not confirmed, and pressing Complete again shows the receipt of that one sale."""
    at_till(page, live_server, cashier)
    scan(page, shelf[2].code)
    page.get_by_label("Cash tendered (KES)").fill("2000")

    def lose_the_answer(route, request):
        if complete_requests(route, request):
            route.fetch()  # the server records it...
            route.abort("connectionreset")  # ...and the link drops before the answer arrives
        else:
            route.continue_()

    page.route("**/till/", lose_the_answer)
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("till-status")).to_contain_text("Not recorded yet")
    assert Sale.objects.count() == 1

    page.unroute("**/till/")
    # The link is back (a step succeeds), then the second press.
    page.get_by_test_id("complete-sale").click()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    expect(page.get_by_text("already recorded")).to_be_visible()
    assert Sale.objects.count() == 1


def test_keyboard_credit_sale_in_few_keys_and_the_receipt_focuses_new_sale(
    page, live_server, cashier, shelf, make_customer
):
    customer = make_customer(
        name="Mutua Musyoka", phone="+254712345678", credit_limit=Decimal("100000")
    )
    at_till(page, live_server, cashier)
    keys = []

    def press(locator, key):
        keys.append(key)
        locator.press(key)

    product_box = page.get_by_label("Scan or search a product")
    expect(product_box).to_be_focused()
    for product in shelf[:2]:
        product_box.fill(product.code)
        press(product_box, "Enter")
        expect(page.get_by_test_id("cart-line").filter(has_text=product.code)).to_be_visible()
        settled(page)
    keys.append("F4")
    page.keyboard.press("F4")
    customer_box = page.get_by_label("Find a customer by name or phone")
    expect(customer_box).to_be_focused()
    customer_box.fill("Mutua")
    press(customer_box, "Enter")
    expect(page.get_by_test_id("customer-name")).to_have_text("Mutua Musyoka")
    settled(page)
    keys.append("F10")
    page.keyboard.press("F10")
    expect(page.get_by_label("Credit", exact=True)).to_be_checked()
    expect(page.get_by_test_id("complete-sale")).to_be_focused()
    keys.append("Enter")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("receipt-credit-amount")).to_be_visible()
    expect(page.get_by_role("link", name="New sale")).to_be_focused()
    assert len(keys) <= 8, keys
    sale = Sale.objects.get()
    assert (sale.customer_id, sale.payment_method) == (customer.pk, "credit")


def test_arrow_keys_stay_within_the_payment_choice(page, live_server, cashier, shelf):
    at_till(page, live_server, cashier)
    scan(page, shelf[0].code)
    cash = page.get_by_label("Cash", exact=True)
    cash.focus()
    page.keyboard.press("ArrowRight")
    mpesa = page.get_by_label("M-Pesa", exact=True)
    expect(mpesa).to_be_checked()
    expect(mpesa).to_be_focused()
    expect(page.get_by_label("M-Pesa transaction code")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Credit", exact=True)).to_be_focused()
    # Enter goes on to the chosen method's box.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    expect(page.get_by_label("M-Pesa transaction code")).to_be_focused()
    # The one-key shortcuts, shown on the buttons.
    page.keyboard.press("F8")
    expect(page.get_by_label("Cash tendered (KES)")).to_be_focused()
    expect(page.locator('label[for="payment-cash"] kbd')).to_have_text("F8")


def wait_for_the_service_worker(page) -> None:
    """The till is kept in the browser once its service worker is active (it keeps the page,
    its files and the price list while installing)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def sell_offline(page, code, *, method, paid):
    scan(page, code)
    if method == "mpesa":
        page.get_by_test_id("till-checkout").get_by_text("M-Pesa", exact=True).click()
        page.get_by_label("M-Pesa transaction code").fill(paid)
    else:
        page.get_by_label("Cash tendered (KES)").fill(paid)
    page.get_by_test_id("complete-sale").click()
    receipt = page.get_by_test_id("provisional-receipt")
    expect(receipt).to_contain_text("NOT YET CONFIRMED")
    page.get_by_role("button", name="New sale").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(0)


def test_offline_sales_survive_a_closed_page_and_are_recorded_once_when_the_link_is_back(
    context, live_server, cashier, shelf
):
    from sales.services import sale_complete

    # An M-Pesa code already used at another till before the link dropped.
    sale_complete(
        cashier=cashier,
        lines=[(shelf[7], Decimal("1"))],
        payment_method="mpesa",
        mpesa_code="QAZ1WSX2ED",
    )
    page = at_till(context.new_page(), live_server, cashier)
    wait_for_the_service_worker(page)
    page.reload()  # now under the service worker, which keeps the price list as it comes
    wait_for_the_service_worker(page)
    page.wait_for_selector("html[data-price-list-kept]", state="attached")

    context.set_offline(True)
    expect(page.get_by_test_id("till-status")).to_contain_text("Offline")
    expect(page.get_by_label("Credit", exact=True)).to_be_disabled()
    sell_offline(page, shelf[0].code, method="cash", paid="600")
    sell_offline(page, shelf[1].code, method="cash", paid="1000")
    sell_offline(page, shelf[2].code, method="cash", paid="1000")
    sell_offline(page, shelf[3].code, method="mpesa", paid="NLJ7RT61SV")
    sell_offline(page, shelf[4].code, method="mpesa", paid="QAZ1WSX2ED")
    expect(page.get_by_test_id("queued-sale")).to_have_count(5)
    assert Sale.objects.count() == 1

    # The tab is closed and opened again, still without the link.
    page.close()
    page = context.new_page()
    page.goto(f"{live_server.url}/till/")
    expect(page.get_by_test_id("queued-sale")).to_have_count(5)
    expect(page.get_by_test_id("queued-sale-status").first).to_have_text("Waiting to be sent")

    context.set_offline(False)
    statuses = page.get_by_test_id("queued-sale-status")
    expect(statuses.nth(4)).to_contain_text("Refused", timeout=20_000)
    expect(statuses.nth(4)).to_contain_text("QAZ1WSX2ED has already been used")
    for index in range(4):
        expect(statuses.nth(index)).to_contain_text("Recorded as sale")
    expect(page.get_by_test_id("till-status")).to_contain_text("refused")

    # The sale sold at another till with that code before the link dropped is not one of them.
    sold = Sale.objects.exclude(payment__mpesa_code="QAZ1WSX2ED").order_by("sold_at")
    assert [sale.total for sale in sold] == [product.retail_price for product in shelf[:4]]
    assert [sale.payment_method for sale in sold] == ["cash", "cash", "cash", "mpesa"]
    # Recorded at the times they were sold, in that order, each once.
    assert len({sale.till_token for sale in sold}) == 4
    assert sold[0].sold_at < sold[1].sold_at < sold[2].sold_at < sold[3].sold_at
    # The refusal waits in the managers' list.
    refusal = OfflineSaleRefusal.objects.get()
    assert (refusal.mpesa_code, refusal.cashier) == ("QAZ1WSX2ED", cashier)
    # Sending again (another tab, a lost answer) records nothing more.
    page.reload()
    expect(page.get_by_test_id("queued-sale")).to_have_count(5)
    assert Sale.objects.count() == 5


def test_on_a_slow_link_the_till_says_it_is_sending_and_a_double_press_records_once(
    page, context, live_server, cashier, shelf
):
    at_till(page, live_server, cashier)
    scan(page, shelf[0].code)
    page.get_by_label("Cash tendered (KES)").fill("1000")
    # 3G as a shop has it: 400 ms round trip, 400 kbit/s each way.
    link = context.new_cdp_session(page)
    link.send("Network.enable")
    link.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 400,
            "downloadThroughput": 50_000,
            "uploadThroughput": 50_000,
        },
    )
    complete = page.get_by_test_id("complete-sale")
    complete.click()
    expect(page.get_by_test_id("till-sending")).to_be_visible()
    expect(complete).to_be_disabled()
    complete.click(force=True)  # a second tap while the first is on its way
    expect(page.get_by_test_id("receipt")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("link", name="New sale")).to_be_focused()
    assert Sale.objects.count() == 1
