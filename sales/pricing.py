"""What a cart costs: one rule for the till's display and for the sale the service records."""

from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO, to_money
from sales.models import PriceList, Product


@dataclass(frozen=True)
class PricedLine:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class PricedCart:
    price_list: str
    lines: list[PricedLine]

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO)


def price_list_for(customer) -> str:
    """Wholesale-group customers buy at wholesale prices; everyone else, walk-ins too, at retail."""
    if customer is not None and customer.group.uses_wholesale_prices:
        return PriceList.WHOLESALE
    return PriceList.RETAIL


def price_cart(lines: list[tuple[Product, Decimal]], *, customer) -> PricedCart:
    price_list = price_list_for(customer)
    priced = []
    for product, quantity in lines:
        unit_price = product.price_for(price_list)
        priced.append(
            PricedLine(
                product=product,
                quantity=quantity,
                unit_price=unit_price,
                line_total=to_money(unit_price * quantity),
            )
        )
    return PricedCart(price_list=price_list, lines=priced)
