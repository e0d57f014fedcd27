"""The till's cart as the page posts it back: lines, customer and the prices the cashier saw.

The till keeps no state on the server between requests: the page itself carries the cart, so a
slow connection, a second tab or a restarted server loses nothing, and the cart the cashier sees
is exactly the one that is sold. `sales.services.sale_complete` has the final word on prices,
the payment and the credit limit.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.forms import id_or_none
from core.money import ZERO, to_money
from customers.models import Customer
from sales.bounds import MAX_CART_LINES, quantity_too_large
from sales.models import PriceList, Product
from sales.pricing import price_cart


@dataclass
class TillLine:
    product: Product
    quantity_text: str
    # The unit price printed on the page the cashier saw; None for a line just added.
    shown_price: Decimal | None = None
    unit_price: Decimal = ZERO
    line_total: Decimal = ZERO
    error: str = ""

    @property
    def quantity(self) -> Decimal | None:
        """The quantity typed, or None (with `error` set) when it is not one the till sells."""
        try:
            quantity = Decimal(self.quantity_text.strip().replace(",", "."))
        except (InvalidOperation, ValueError):
            self.error = _("Enter the quantity as a number.")
            return None
        if not quantity.is_finite() or quantity <= 0:
            self.error = _("The quantity must be more than zero.")
            return None
        too_large = quantity_too_large(quantity)
        if too_large:
            self.error = too_large
            return None
        if quantity != quantity.quantize(Decimal("0.001")):
            self.error = _("Enter a quantity of at most three decimal places.")
            return None
        return quantity


@dataclass
class TillCart:
    token: uuid.UUID
    customer: Customer | None = None
    lines: list[TillLine] = field(default_factory=list)
    price_list: str = PriceList.RETAIL
    # What could not be read back from the page (a product deleted meanwhile, a tampered form).
    problems: list[str] = field(default_factory=list)
    token_was_missing: bool = False

    @classmethod
    def empty(cls) -> "TillCart":
        return cls(token=uuid.uuid4())

    @classmethod
    def from_post(cls, data) -> "TillCart":
        """Read the cart back from the till form, in three queries whatever its size."""
        cart = cls(token=_uuid_or_none(data.get("till_token")) or uuid.uuid4())
        cart.token_was_missing = _uuid_or_none(data.get("till_token")) is None
        cart.customer = customer_or_none(data.get("customer"))
        if data.get("customer") and cart.customer is None:
            cart.problems.append(_("The customer chosen on this till no longer exists."))
        product_ids = data.getlist("line_product")[:MAX_CART_LINES]
        quantities = data.getlist("line_quantity")
        shown_prices = data.getlist("line_price")
        ids = [id_or_none(text) for text in product_ids]
        products = Product.objects.in_bulk([pk for pk in ids if pk is not None])
        for index, product_id in enumerate(ids):
            product = products.get(product_id)
            if product is None:
                cart.problems.append(_("A product on this till no longer exists; it was removed."))
                continue
            cart.lines.append(
                TillLine(
                    product=product,
                    quantity_text=quantities[index] if index < len(quantities) else "1",
                    shown_price=_money_or_none(shown_prices[index])
                    if index < len(shown_prices)
                    else None,
                )
            )
        return cart

    def add(self, product: Product) -> None:
        """One more of `product`: a second scan of the same code adds to its line."""
        for line in self.lines:
            if line.product.pk == product.pk:
                quantity = line.quantity
                if quantity is not None:
                    line.quantity_text = _plain(quantity + 1)
                return
        self.lines.append(TillLine(product=product, quantity_text="1"))

    def remove(self, index: int) -> None:
        if 0 <= index < len(self.lines):
            del self.lines[index]

    def price(self) -> None:
        """Today's prices for this customer (wholesale for wholesale groups), line by line."""
        quantities = [(line, line.quantity) for line in self.lines]
        valid = [(line, quantity) for line, quantity in quantities if quantity is not None]
        priced = price_cart([(line.product, qty) for line, qty in valid], customer=self.customer)
        self.price_list = priced.price_list
        for (line, _quantity), priced_line in zip(valid, priced.lines, strict=True):
            line.unit_price = priced_line.unit_price
            line.line_total = priced_line.line_total

    def line_errors(self) -> list[str]:
        """Why the cart cannot be sold as it stands, one message per bad line."""
        errors = []
        for line in self.lines:
            if line.quantity is None:
                errors.append(f"{line.product.name}: {line.error}")
            elif not line.product.is_active:
                line.error = _("No longer on sale: remove it.")
                errors.append(
                    _("%(name)s is no longer on sale; remove it.") % {"name": line.product.name}
                )
        return errors

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO)

    @property
    def quoted_total(self) -> Decimal | None:
        """The total at the prices the cashier saw, or None if a line was never shown priced."""
        total = ZERO
        for line in self.lines:
            quantity = line.quantity
            if line.shown_price is None or quantity is None:
                return None
            total += to_money(line.shown_price * quantity)
        return total

    def sale_lines(self) -> list[tuple[Product, Decimal]]:
        return [(line.product, line.quantity) for line in self.lines]


def _plain(quantity: Decimal) -> str:
    """1.000 -> "1", 2.500 -> "2.5": how a cashier writes a quantity."""
    return f"{quantity.normalize():f}"


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _money_or_none(value) -> Decimal | None:
    try:
        return to_money(value)
    except (InvalidOperation, ValueError, TypeError):
        return None


def customer_or_none(value) -> Customer | None:
    """The customer a till form names by id (with their group, for the prices), or None."""
    pk = id_or_none(value)
    if pk is None:
        return None
    return Customer.objects.select_related("group").filter(pk=pk).first()
