"""Money is Kenyan shillings: Decimal with two places, never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
# Figures that add up many sales (revenue per period, band or customer; what a customer has
# spent in all): 16 digits before the point, about ten quadrillion shillings, so a chain's years
# of sales, or a few mistaken sales at the till's bounds, can never overflow the column.
FIGURE_MAX_DIGITS = 18
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The most a MoneyField column holds: 999,999,999,999.99.
MONEY_MAX = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES) - CENT


def to_money(value) -> Decimal:
    """Quantize an amount to shillings and cents (half up, as a cashier rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    """A shilling amount with the project-wide precision."""

    default_max_digits = MONEY_MAX_DIGITS

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", self.default_max_digits)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        # Keep migrations free of the defaults so a precision change is one edit here.
        if kwargs.get("max_digits") == self.default_max_digits:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == MONEY_DECIMAL_PLACES:
            del kwargs["decimal_places"]
        return name, path, args, kwargs


class FigureField(MoneyField):
    """A shilling figure that adds up many sales (FIGURE_MAX_DIGITS digits): one sale's amounts
    are MoneyFields."""

    default_max_digits = FIGURE_MAX_DIGITS
