"""Money is Kenyan shillings: Decimal with two places, never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value) -> Decimal:
    """Quantize an amount to shillings and cents (half up, as a cashier rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    """A shilling amount with the project-wide precision."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        # Keep migrations free of the defaults so a precision change is one edit here.
        if kwargs.get("max_digits") == MONEY_MAX_DIGITS:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == MONEY_DECIMAL_PLACES:
            del kwargs["decimal_places"]
        return name, path, args, kwargs
