"""The wide tables of figures (the customer list, the credit report, VIP) keep the customer's
name in view while their figures scroll sideways, on a phone and at a desk, and the page itself
never scrolls sideways."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import sell

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(360, 740), (1366, 768)]
# page, the table, which cell of a row holds the name (VIP: the rank comes first)
TABLES = [
    ("/customers/", "table.table-sticky-first", 1),
    ("/reports/credit/", "table.table-sticky-first", 1),
    ("/reports/vip/", "[data-testid=vip-table]", 2),
]

# The name cell of the first body row, the container that scrolls, and what a person would see.
MEASURE = """([tableSelector, column]) => {
    const table = document.querySelector(tableSelector);
    const row = table.tBodies[0].rows[0];
    const name = row.cells[column - 1];
    const figure = row.cells[row.cells.length - 1];
    const box = name.getBoundingClientRect();
    const before = column > 1 ? row.cells[column - 2].getBoundingClientRect().right : box.left;
    const scroller = table.closest(".table-responsive");
    const onTop = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const style = getComputedStyle(name);
    const figureStyle = getComputedStyle(figure);
    return {
        left: box.left, right: box.right, width: box.width, previousRight: before,
        scrollerLeft: scroller.getBoundingClientRect().left,
        scrollLeft: scroller.scrollLeft,
        overflows: scroller.scrollWidth > scroller.clientWidth,
        nameOnTop: name.contains(onTop),
        background: style.backgroundColor,
        shade: style.boxShadow, rowShade: figureStyle.boxShadow,
        innerWidth: window.innerWidth,
        pageScrollWidth: document.documentElement.scrollWidth,
    };
}"""


def scroll_right(page, table_selector: str) -> None:
    page.evaluate(
        """(tableSelector) => {
            const scroller = document.querySelector(tableSelector).closest(".table-responsive");
            scroller.scrollLeft = scroller.scrollWidth;
        }""",
        table_selector,
    )


def opaque(colour: str) -> bool:
    return colour.startswith("rgb(") or colour.endswith(", 1)")


@pytest.fixture
def shop(cashier, make_customer):
    """Customers with long names who bought this year, some owing: rows on all three pages."""
    for number in range(6):
        customer = make_customer(
            name=f"Mwikali Kitheka Mutiso {number}", credit_limit=Decimal("900000")
        )
        sell(cashier=cashier, customer=customer, total="123456.78", payment_method="credit")
        sell(cashier=cashier, customer=customer, total="2500", payment_method="cash")


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["phone", "desk"])
@pytest.mark.parametrize(("path", "table", "column"), TABLES, ids=["customers", "credit", "vip"])
def test_the_name_stays_in_view_while_the_figures_scroll(
    page, live_server, log_in, manager, shop, width, height, path, table, column
):
    page.set_viewport_size({"width": width, "height": height})
    log_in(manager)
    page.goto(f"{live_server.url}{path}")
    first_row = page.locator(f"{table} tbody tr").first
    expect(first_row).to_be_visible()
    first_row.scroll_into_view_if_needed()  # VIP's chart comes first on a phone
    before = page.evaluate(MEASURE, [table, column])
    if width == 360:
        assert before["overflows"], "on a phone the figures do not fit: the table scrolls"

    scroll_right(page, table)
    after = page.evaluate(MEASURE, [table, column])

    if before["overflows"]:
        assert after["scrollLeft"] > 0
    # The name has not moved with the figures: still where it was, inside the window, on top.
    assert after["left"] == pytest.approx(before["left"], abs=1)
    assert after["left"] >= after["scrollerLeft"] - 1
    assert after["left"] >= after["previousRight"] - 1  # VIP: beside the rank, not over it
    assert after["left"] >= 0 and after["right"] <= after["innerWidth"]
    assert after["width"] > 40
    assert after["nameOnTop"], "the figures scrolled under the name must not cover it"
    # Its own background hides what scrolls under it, in its row's shade (stripes, hover).
    assert opaque(after["background"]), after["background"]
    assert after["shade"] == after["rowShade"]
    # The page itself never scrolls sideways.
    assert after["pageScrollWidth"] <= after["innerWidth"]

    # Hovering the row shades the stuck name like the rest of the row.
    first_row.hover()
    hovered = page.evaluate(MEASURE, [table, column])
    assert hovered["shade"] == hovered["rowShade"]
    page.screenshot(path=f"/tmp/sticky-{path.strip('/').replace('/', '-')}-{width}.png")
