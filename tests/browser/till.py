"""A cashier's hands at the till, shared by the browser tests that sell."""

from playwright.sync_api import expect

PASSWORD = "pw-for-tests-only"


def sign_in(page, live_server, user):
    """Sign in through the login page, as a person would, on any page (any screen size)."""
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def settled(page) -> None:
    """Wait until htmx has finished swapping the till in and wired up its new boxes (typing
    into a box in the few milliseconds before that would not start a search)."""
    expect(
        page.locator("#till.htmx-request, #till.htmx-swapping, #till.htmx-settling")
    ).to_have_count(0)


def scan(page, code: str) -> None:
    """What a barcode scanner does: type the code into the focused box, then Enter; then, as the
    cashier does, look for the line on the screen before going on."""
    box = page.get_by_label("Scan or search a product")
    box.fill(code)
    box.press("Enter")
    expect(page.get_by_test_id("cart-line").filter(has_text=code)).to_be_visible()
    settled(page)
