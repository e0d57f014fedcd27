"""What one sale may hold, so one mistyped quantity never reaches the books: the rules the till
shows on its lines and `sales.services.sale_complete` enforces (settings TILL_MAX_*)."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

# Lines in one sale: more is a cart gone wrong (a scanner stuck on repeat), not a customer.
MAX_CART_LINES = 200


def quantity_too_large(quantity: Decimal) -> str | None:
    """Why one line cannot hold `quantity` (more than TILL_MAX_LINE_QUANTITY), or None.

    The till shows the same words on the line before the cashier completes the sale."""
    if quantity > settings.TILL_MAX_LINE_QUANTITY:
        return _("Quantity %(quantity)s looks wrong: check it.") % {
            "quantity": f"{quantity.normalize():,f}"
        }
    return None
