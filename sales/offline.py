"""The shape of a sale the till made while the link was down (issue 18): what the browser sends
to sales:till_offline_sale, read into plain values. Shape only: whether the sale may be
recorded (prices, the M-Pesa code, the time it was sold) is sales.services.offline_sale_record's
call. One sale per request:

    {"till_token": "<uuid>", "sold_at": "2026-12-07T10:15:00.000Z", "customer": 12 | null,
     "payment_method": "cash" | "mpesa", "cash_tendered": "8000" | "", "mpesa_code": "..." | "",
     "lines": [{"product": 5, "quantity": "2", "unit_price": "3500.00"}], "total": "7000.00"}
"""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.forms import id_or_none
from core.money import CENT, MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

# A sale of a few hundred lines is a few kilobytes; anything much bigger is not from the till.
MAX_BODY_BYTES = 64 * 1024
# What a money column holds (14 digits, 2 places): more would be a database error, not a refusal.
_MONEY_LIMIT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)
# The longest text kept from a field (an M-Pesa code is 10; a longer one is refused anyway).
_TEXT_LIMIT = 40


class OfflineSaleInvalid(Exception):
    """What the till sent is not a sale this endpoint can read. `till_token` is set when the
    body named a readable one (the refusal can then be kept, once per token)."""

    def __init__(self, message: str, *, code: str = "invalid", till_token=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.till_token = till_token


@dataclass(frozen=True)
class OfflineLine:
    product_id: int
    quantity: Decimal
    unit_price: Decimal  # the price the till showed, kept with a refusal


@dataclass(frozen=True)
class OfflineSale:
    till_token: uuid.UUID
    sold_at: datetime  # aware; how far from now it may be is the service's rule
    customer_id: int | None
    payment_method: str  # as sent: "cash", "mpesa" or "credit" (which the service refuses)
    cash_tendered: Decimal | None
    mpesa_code: str
    lines: tuple[OfflineLine, ...]
    total: Decimal  # what the till charged: the service holds today's prices to it


def offline_payload_from_body(body: bytes) -> dict:
    """The JSON object the till sent, or OfflineSaleInvalid (no token: nothing can be kept).

    Refuses what a database could not store as sent: NaN and Infinity (not JSON), NUL
    characters and lone surrogates (PostgreSQL's jsonb and text columns take neither)."""
    if len(body) > MAX_BODY_BYTES:
        raise OfflineSaleInvalid(_("This sale is too large to be one from the till."))
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeError, RecursionError) as error:
        raise OfflineSaleInvalid(_("The till sent something that is not a sale.")) from error
    if not isinstance(payload, dict):
        raise OfflineSaleInvalid(_("The till sent something that is not a sale."))
    if not _storable(payload):
        raise OfflineSaleInvalid(_("The till sent characters a sale cannot hold."))
    return payload


def offline_till_token(payload: dict) -> uuid.UUID:
    """The sale's till token: what makes it recorded (or refused) once, however often sent."""
    value = payload.get("till_token")
    try:
        if not isinstance(value, str):
            raise ValueError
        return uuid.UUID(value)
    except ValueError as error:
        raise OfflineSaleInvalid(
            _("The sale has no readable till token, so it cannot be recorded once.")
        ) from error


def offline_sale_from_payload(payload: dict) -> OfflineSale:
    """The payload read into an OfflineSale, or OfflineSaleInvalid saying which field is wrong."""
    token = offline_till_token(payload)

    def invalid(message: str) -> OfflineSaleInvalid:
        return OfflineSaleInvalid(message, till_token=token)

    sold_at = _datetime_or_none(payload.get("sold_at"))
    if sold_at is None:
        raise invalid(_("The sale has no readable time of sale (sold_at, with its time zone)."))
    customer = payload.get("customer")
    customer_id = None
    if customer is not None:
        customer_id = _id_or_none(customer)
        if customer_id is None:
            raise invalid(_("The sale names its customer in a way the server cannot read."))
    method = payload.get("payment_method")
    if method not in ("cash", "mpesa", "credit"):
        raise invalid(_("The sale's payment method is not Cash or M-Pesa."))
    cash_tendered = None
    if method == "cash" and payload.get("cash_tendered") not in (None, ""):
        # None when none was entered: the service asks for it as the till does.
        cash_tendered = _money_or_none(payload.get("cash_tendered"))
        if cash_tendered is None:
            raise invalid(_("The cash tendered is not an amount."))
    mpesa_code = payload.get("mpesa_code") or ""
    if not isinstance(mpesa_code, str):
        raise invalid(_("The M-Pesa code is not text."))
    lines = payload.get("lines")
    if not isinstance(lines, list) or not lines:
        raise invalid(_("The sale has no lines."))
    read_lines = []
    for number, line in enumerate(lines, start=1):
        read = _line_or_none(line)
        if read is None:
            raise invalid(
                _("Line %(number)s of the sale is not a product, quantity and price.")
                % {"number": number}
            )
        read_lines.append(read)
    total = _money_or_none(payload.get("total"))
    if total is None:
        raise invalid(_("The sale's total is not an amount."))
    return OfflineSale(
        till_token=token,
        sold_at=sold_at,
        customer_id=customer_id,
        payment_method=method,
        cash_tendered=cash_tendered,
        mpesa_code=mpesa_code[:_TEXT_LIMIT],
        lines=tuple(read_lines),
        total=total,
    )


def offline_payload_summary(payload: dict) -> dict:
    """What a refusal keeps in its own columns, read as far as the payload allows (a refusal
    of a malformed sale still shows its total, method and lines where they are readable)."""
    lines = payload.get("lines")
    readable_lines = [
        line
        for line in (_line_or_none(item) for item in (lines if isinstance(lines, list) else []))
        if line is not None
    ]
    method = payload.get("payment_method")
    mpesa_code = payload.get("mpesa_code")
    customer = payload.get("customer")
    return {
        "sold_at": _datetime_or_none(payload.get("sold_at")),
        "customer_id": _id_or_none(customer) if customer is not None else None,
        "payment_method": method if method in ("cash", "mpesa", "credit") else "",
        "mpesa_code": mpesa_code[:_TEXT_LIMIT] if isinstance(mpesa_code, str) else "",
        "total": _money_or_none(payload.get("total")),
        "lines": readable_lines,
    }


# --- readers: each returns None for a value it cannot read ---------------------------------


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _storable(payload) -> bool:
    """No NUL and no lone surrogate anywhere (keys included); walked without recursion."""
    pending = [payload]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return False
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _datetime_or_none(value) -> datetime | None:
    """An ISO 8601 moment with its offset ("...Z" or "+03:00"); a time without one is refused:
    the phone's clock and the server's zone need not agree."""
    if not isinstance(value, str) or len(value) > _TEXT_LIMIT:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00, say: no moment a till could have sold at
        return None


def _id_or_none(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        return id_or_none(value)
    return None


def _decimal_or_none(value) -> Decimal | None:
    """A number sent as text ("3500.00") or as a JSON number; never a bool, never NaN."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = str(value).strip()
    if not text or len(text) > _TEXT_LIMIT:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _money_or_none(value) -> Decimal | None:
    """An amount in shillings, at most two decimal places, 0 or more, that a money column holds."""
    number = _decimal_or_none(value)
    if number is None or number < 0 or number >= _MONEY_LIMIT:
        return None
    if number != number.quantize(CENT):
        return None
    return number.quantize(CENT)


def _line_or_none(line) -> OfflineLine | None:
    if not isinstance(line, dict):
        return None
    product_id = _id_or_none(line.get("product"))
    quantity = _decimal_or_none(line.get("quantity"))
    unit_price = _money_or_none(line.get("unit_price"))
    if product_id is None or quantity is None or unit_price is None:
        return None
    return OfflineLine(product_id=product_id, quantity=quantity, unit_price=unit_price)
