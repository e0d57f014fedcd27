"""Every write to products and sales. The till, the back office and the demo data call these."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import AuditAction
from core.money import to_money
from core.mpesa import (
    mpesa_code_claim,
    mpesa_code_validate,
)
from core.once import record_once
from core.sequences import INVOICE_SEQUENCE, sequence_next
from core.staff import staff_name
from credit.services import credit_sale_post, credit_sale_reverse
from customers.models import Customer
from customers.services import customer_lock
from sales.bounds import MAX_CART_LINES, quantity_too_large
from sales.figures import figures_count_sale, figures_uncount_sale
from sales.models import (
    Invoice,
    OfflineSaleRefusal,
    Payment,
    PaymentMethod,
    Product,
    Sale,
    SaleLine,
)
from sales.offline import (
    OfflineSaleInvalid,
    offline_payload_summary,
    offline_sale_from_payload,
    offline_till_token,
)
from sales.pricing import price_cart
from sales.selectors import quantity_display, visit_figures_from_sales


class SaleAlreadyRecorded(Exception):
    """The till form was submitted again (a double-click, a browser resend): its sale exists."""

    def __init__(self, sale: Sale):
        self.sale = sale
        super().__init__(f"till form already recorded as sale {sale.pk}")


# --- products -----------------------------------------------------------------------------


PRODUCT_FIELDS = ("name", "code", "retail_price", "wholesale_price", "is_active")


def _product_normalise(fields: dict) -> dict:
    if "name" in fields:
        fields["name"] = " ".join((fields["name"] or "").split())
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip().upper()
    for name in ("retail_price", "wholesale_price"):
        if fields.get(name) is not None:
            fields[name] = to_money(fields[name])
    return fields


def _product_save(product: Product, *, actor) -> Product:
    product._history_user = actor
    product.full_clean()
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as error:
        raise ValidationError(
            {"code": _("Another product was just saved with this code.")}
        ) from error
    return product


@transaction.atomic
def product_create(*, actor, name: str, code: str, retail_price, wholesale_price, is_active=True):
    """Create a product. The code is unique (upper-cased); prices are shillings, not negative."""
    fields = _product_normalise(
        {
            "name": name,
            "code": code,
            "retail_price": retail_price,
            "wholesale_price": wholesale_price,
            "is_active": is_active,
        }
    )
    return _product_save(Product(**fields), actor=actor)


@transaction.atomic
def product_update(*, actor, product: Product, **fields) -> Product:
    """Change a product. Past sales keep the name and price they were sold at."""
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"product_update() got unexpected fields {sorted(unknown)}")
    product = Product.objects.select_for_update().get(pk=product.pk)
    for name, value in _product_normalise(fields).items():
        setattr(product, name, value)
    return _product_save(product, actor=actor)


@transaction.atomic
def product_delete(*, actor, product: Product) -> None:
    """Delete a product that was never sold; one that was is taken off sale instead."""
    product._history_user = actor
    try:
        with transaction.atomic():
            product.delete()
    except ProtectedError as error:
        raise ValidationError(
            _(
                "%(name)s is on past sales and cannot be deleted. Untick “On sale” to stop "
                "selling it."
            )
            % {"name": product.name},
            code="product_sold",
        ) from error


# --- sales --------------------------------------------------------------------------------


def _validate_quantity(quantity) -> Decimal:
    try:
        quantity = Decimal(str(quantity))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(_("Enter a quantity as a number."), code="quantity") from error
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationError(_("Quantities must be more than zero."), code="quantity")
    too_large = quantity_too_large(quantity)
    if too_large:
        raise ValidationError(too_large, code="quantity_too_large")
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationError(
            _("Enter a quantity of at most three decimal places."), code="quantity"
        )
    return quantity


def _cart_products(lines) -> list[tuple[Product, Decimal]]:
    """Each line's product, read afresh (a price or the on-sale flag may have changed)."""
    if not lines:
        raise ValidationError(_("The cart is empty: add a product first."), code="empty_cart")
    if len(lines) > MAX_CART_LINES:
        raise ValidationError(
            _("A sale can have at most %(count)s lines: complete this one as two sales.")
            % {"count": MAX_CART_LINES},
            code="too_many_lines",
        )
    ids = [product.pk if isinstance(product, Product) else product for product, _qty in lines]
    products = Product.objects.in_bulk(ids)
    cart = []
    for product_id, (_product, quantity) in zip(ids, lines, strict=True):
        product = products.get(product_id)
        if product is None:
            raise ValidationError(
                _("A product on this sale no longer exists; remove it from the cart."),
                code="unknown_product",
            )
        if not product.is_active:
            raise ValidationError(
                _("%(name)s is no longer on sale; remove it from the cart.")
                % {"name": product.name},
                code="inactive_product",
            )
        cart.append((product, _validate_quantity(quantity)))
    return cart


def _validate_payment(method: str, total: Decimal, *, cash_tendered, mpesa_code: str) -> dict:
    """The Payment row's fields for `method`, or ValidationError with what is wrong."""
    if method == PaymentMethod.CASH:
        if cash_tendered in (None, ""):
            raise ValidationError(_("Enter the cash tendered."), code="cash_tendered")
        try:
            tendered = to_money(cash_tendered)
        except (InvalidOperation, ValueError, TypeError) as error:
            raise ValidationError(
                _("Enter the cash tendered as an amount."), code="cash_tendered"
            ) from error
        if tendered > settings.TILL_MAX_SALE_TOTAL:
            raise ValidationError(
                _("Cash tendered KES %(tendered)s looks wrong: check it.")
                % {"tendered": f"{tendered:,.2f}"},
                code="cash_too_large",
            )
        if tendered < total:
            raise ValidationError(
                _("Cash tendered KES %(tendered)s is less than the total KES %(total)s.")
                % {"tendered": f"{tendered:,.2f}", "total": f"{total:,.2f}"},
                code="cash_short",
            )
        return {"cash_tendered": tendered, "change_due": tendered - total}
    if method == PaymentMethod.MPESA:
        return {"mpesa_code": mpesa_code_validate(mpesa_code)}
    if method == PaymentMethod.CREDIT:
        return {}
    raise ValidationError(_("Choose Cash, M-Pesa or Credit."), code="payment_method")


def sale_complete(
    *,
    cashier,
    lines: list[tuple[Product | int, Decimal]],
    payment_method: str,
    customer: Customer | int | None = None,
    cash_tendered=None,
    mpesa_code: str = "",
    till_token: uuid.UUID | None = None,
    expected_total: Decimal | None = None,
    sold_at=None,
) -> Sale:
    """Record a sale in one transaction: the sale and its lines at today's prices (wholesale for
    wholesale-group customers), its payment, the customer's visit figures, and for a credit
    sale the ledger entry and new balance under the customer's row lock.

    Raises ValidationError with nothing written when the cart, the payment or the credit limit
    says no, or when `expected_total` (what the till showed) no longer matches the prices. A
    line holds at most TILL_MAX_LINE_QUANTITY, a sale at most MAX_CART_LINES lines and
    TILL_MAX_SALE_TOTAL shillings (settings): one mistyped quantity must not reach the books.
    Raises SaleAlreadyRecorded when `till_token` already made a sale.
    """
    return record_once(
        lambda: _sale_complete(
            cashier=cashier,
            lines=lines,
            payment_method=payment_method,
            customer=customer,
            cash_tendered=cash_tendered,
            mpesa_code=mpesa_code,
            till_token=till_token,
            expected_total=expected_total,
            sold_at=sold_at,
        ),
        model=Sale,
        token=till_token,
        token_field="till_token",
        already_recorded=SaleAlreadyRecorded,
        mpesa_code=mpesa_code if payment_method == PaymentMethod.MPESA else "",
    )


@transaction.atomic
def _sale_complete(
    *,
    cashier,
    lines,
    payment_method,
    customer,
    cash_tendered,
    mpesa_code,
    till_token,
    expected_total,
    sold_at,
) -> Sale:
    # Every statement here is paid by every sale at every till: keep it to the few that are
    # needed (measured by `make bench`). Uniqueness of the till token and of the M-Pesa code is
    # the database's job; sale_complete explains a refusal after the rollback.
    cart = _cart_products(lines)
    if payment_method not in PaymentMethod.values:
        raise ValidationError(_("Choose Cash, M-Pesa or Credit."), code="payment_method")
    if payment_method == PaymentMethod.CREDIT and customer is None:
        raise ValidationError(
            _("A credit sale needs a customer: a walk-in sale cannot be on credit."),
            code="credit_needs_customer",
        )

    locked = None
    first_visit_before = None
    if customer is not None:
        # Locked before anything is read from it: balance, limit and visit figures are written
        # back below, and a second till selling to the same customer waits here.
        try:
            locked = customer_lock(customer.pk if isinstance(customer, Customer) else customer)
        except Customer.DoesNotExist as error:
            raise ValidationError(
                _("This customer no longer exists; choose the customer again."),
                code="unknown_customer",
            ) from error

    priced = price_cart(cart, customer=locked)
    total = priced.total
    # Before anything is written: an absurd total would also swell every report figure.
    if total > settings.TILL_MAX_SALE_TOTAL:
        raise ValidationError(
            _(
                "The total KES %(total)s looks wrong: check the quantities. One sale can be at "
                "most KES %(limit)s."
            )
            % {"total": f"{total:,.2f}", "limit": f"{settings.TILL_MAX_SALE_TOTAL:,.2f}"},
            code="total_too_large",
        )
    if expected_total is not None and to_money(expected_total) != total:
        raise ValidationError(
            _(
                "Prices changed since this till was loaded: the total is now KES %(total)s. "
                "Check the cart and complete the sale again."
            )
            % {"total": f"{total:,.2f}"},
            code="stale_total",
        )
    payment_fields = _validate_payment(
        payment_method, total, cash_tendered=cash_tendered, mpesa_code=mpesa_code
    )

    sold_at = sold_at or timezone.now()
    sale = Sale.objects.create(
        customer=locked,
        cashier=cashier,
        total=total,
        payment_method=payment_method,
        price_list=priced.price_list,
        sold_at=sold_at,
        till_token=till_token,
    )
    SaleLine.objects.bulk_create(
        SaleLine(
            sale=sale,
            product=line.product,
            product_name=line.product.name,
            product_code=line.product.code,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
        )
        for line in priced.lines
    )
    if payment_method == PaymentMethod.MPESA:
        mpesa_code_claim(payment_fields["mpesa_code"], purpose="sale")
    Payment.objects.create(
        sale=sale, method=payment_method, amount=total, received_at=sold_at, **payment_fields
    )
    if locked is not None:
        first_visit_before = locked.first_visit_at
        _count_visit(locked, sale)
        if payment_method == PaymentMethod.CREDIT:
            credit_sale_post(locked_customer=locked, sale=sale, actor=cashier)
    # Last: its rows are shared with other tills' sales, so they are held the shortest time.
    figures_count_sale(sale, first_visit_before=first_visit_before)
    return sale


def _count_visit(customer: Customer, sale: Sale) -> None:
    if customer.first_visit_at is None or sale.sold_at < customer.first_visit_at:
        customer.first_visit_at = sale.sold_at
    if customer.last_visit_at is None or sale.sold_at >= customer.last_visit_at:
        customer.last_visit_at = sale.sold_at
        customer.last_cashier_id = sale.cashier_id
        customer.last_cashier_name = staff_name(sale.cashier)
    customer.total_visits += 1
    customer.total_spent += sale.total
    # A queryset update, not save(): visit figures move with every sale and are not part of the
    # customer's change history (the sales are their record).
    Customer.objects.filter(pk=customer.pk).update(
        first_visit_at=customer.first_visit_at,
        last_visit_at=customer.last_visit_at,
        last_cashier_id=customer.last_cashier_id,
        last_cashier_name=customer.last_cashier_name,
        total_visits=customer.total_visits,
        total_spent=customer.total_spent,
    )


@transaction.atomic
def sale_void(*, actor, sale: Sale, reason: str) -> Sale:
    """Void a sale: it stays in the books marked voided (who, when, why), stops counting in the
    customer's visit figures, and a credit sale comes off what the customer owes."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give a reason for voiding the sale."), code="void_reason")
    # Customer first, then the sale: the same order as sale_complete, so the two never deadlock.
    customer_id = Sale.objects.filter(pk=sale.pk).values_list("customer_id", flat=True).get()
    locked_customer = customer_lock(customer_id) if customer_id is not None else None
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    if sale.is_voided:
        raise ValidationError(_("This sale was already voided."), code="already_voided")
    sale.voided_at = timezone.now()
    sale.voided_by = actor
    sale.void_reason = reason[:255]
    sale.save(update_fields=["voided_at", "voided_by", "void_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.SALE_VOIDED,
        target=sale,
        amount=-sale.total,
        details=sale.void_reason,
        at=sale.voided_at,
    )
    first_visit_before = first_visit_after = None
    if locked_customer is not None:
        if sale.payment_method == PaymentMethod.CREDIT:
            credit_sale_reverse(
                locked_customer=locked_customer, sale=sale, actor=actor, reason=sale.void_reason
            )
        first_visit_before = locked_customer.first_visit_at
        Customer.objects.filter(pk=locked_customer.pk).update(**visit_figures_from_sales())
        first_visit_after = (
            Customer.objects.filter(pk=locked_customer.pk)
            .values_list("first_visit_at", flat=True)
            .get()
        )
    figures_uncount_sale(
        sale, first_visit_before=first_visit_before, first_visit_after=first_visit_after
    )
    return sale


def visit_figures_rebuild(*, batch_size: int = 5000) -> int:
    """Recompute every customer's visit figures from the sales; returns how many were updated.

    Batches by primary key so no single transaction holds a million row locks.
    """
    expressions = visit_figures_from_sales()
    updated = 0
    last_pk = 0
    while True:
        pks = list(
            Customer.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not pks:
            return updated
        with transaction.atomic():
            updated += Customer.objects.filter(pk__in=pks).update(**expressions)
        last_pk = pks[-1]


# --- invoices -----------------------------------------------------------------------------


@transaction.atomic
def invoice_issue(*, actor, sale: Sale) -> Invoice:
    """The sale's invoice, issued now with the next number if it has none yet.

    The number is taken in this transaction, so invoices are numbered with no gaps. A sale
    gets one invoice; asking again returns it.
    """
    sale = Sale.objects.select_for_update(of=("self",)).select_related("customer").get(pk=sale.pk)
    existing = Invoice.objects.filter(sale=sale).first()
    if existing is not None:
        return existing
    if sale.is_voided:
        raise ValidationError(_("A voided sale cannot be invoiced."), code="voided")
    customer = sale.customer
    if customer is None:
        raise ValidationError(
            _("An invoice carries the customer's details: this sale has no customer."),
            code="no_customer",
        )
    return Invoice.objects.create(
        number=sequence_next(INVOICE_SEQUENCE),
        sale=sale,
        issued_by=actor,
        customer_name=customer.name,
        customer_phone=str(customer.phone),
        customer_village=customer.village,
        customer_address=customer.address,
        customer_tax_pin=customer.tax_pin,
        shop_tax_pin=settings.SHOP_KRA_PIN,
    )


# --- sales the till made while the link was down (issue 18) -------------------------------

# A till's clock may run a little ahead of the server's: such a sale is recorded as made now.
OFFLINE_CLOCK_SKEW = timedelta(minutes=5)
# How old an offline sale may be when it arrives: a long weekend without a link. An older one
# is refused to a manager (who knows what happened that week) rather than slipped into the
# books, and into reports already read, without anyone looking.
OFFLINE_MAX_AGE = timedelta(days=7)


# The refusals offline_sale_record words itself (sale_complete's are prefixed "Not recorded").
_OFFLINE_RULES = {"offline_credit", "sold_at_future", "sold_at_too_old"}


@dataclass(frozen=True)
class OfflineSaleAnswer:
    """What the server says to one sale the till sends from its queue."""

    status: str  # "recorded", "already_recorded" or "refused"
    message: str
    sale: Sale | None = None
    refusal: OfflineSaleRefusal | None = None


def offline_sale_record(*, cashier, payload: dict, now: datetime | None = None):
    """Record a sale the till made offline, sent from its queue as `payload` (sales.offline),
    by `cashier`, at the time it was sold; or refuse it and keep the refusal for a manager.

    Recorded by sale_complete like a sale at the till, once per till token: the prices the
    till charged must still be today's (the total is its `expected_total`), the M-Pesa code is
    checked again, credit is refused (it needs the link: the balance and limit live here).
    The time of sale may be up to OFFLINE_CLOCK_SKEW ahead (recorded as now) and at most
    OFFLINE_MAX_AGE old. A refusal is kept once per till token and final: sent again, the same
    sale gets the same answer, even if what refused it has changed meanwhile (a manager may be
    dealing with it already). Raises OfflineSaleInvalid, keeping nothing, when the payload has
    no readable till token.
    """
    now = now or timezone.now()
    token = offline_till_token(payload)
    recorded = Sale.objects.filter(till_token=token).first()
    if recorded is not None:
        return _offline_already_recorded(recorded)
    refusal = OfflineSaleRefusal.objects.filter(till_token=token).first()
    if refusal is not None:
        return OfflineSaleAnswer(status="refused", message=refusal.reason, refusal=refusal)
    offline_sale = None
    try:
        offline_sale = offline_sale_from_payload(payload)
        sold_at = _offline_sold_at(offline_sale.sold_at, now=now)
        if offline_sale.payment_method == PaymentMethod.CREDIT:
            raise ValidationError(
                _(
                    "Credit needs the connection: the customer's balance and limit are checked "
                    "on the server. This sale was not recorded; sell it on credit again now "
                    "that the till is online, or take cash or M-Pesa."
                ),
                code="offline_credit",
            )
        sale = sale_complete(
            cashier=cashier,
            lines=[(line.product_id, line.quantity) for line in offline_sale.lines],
            payment_method=offline_sale.payment_method,
            customer=offline_sale.customer_id,
            cash_tendered=offline_sale.cash_tendered,
            mpesa_code=offline_sale.mpesa_code,
            till_token=token,
            expected_total=offline_sale.total,
            sold_at=sold_at,
        )
    except SaleAlreadyRecorded as already:
        return _offline_already_recorded(already.sale)
    except OfflineSaleInvalid as invalid:
        reason, code = invalid.message, invalid.code
    except ValidationError as error:
        code = _validation_code(error)
        reason = " ".join(error.messages)
        if code not in _OFFLINE_RULES:
            # sale_complete's words are for a cashier at the counter; this sale is past it.
            reason = _("Not recorded: %(reason)s") % {"reason": reason}
        if code == "stale_total":
            reason = _offline_stale_total_reason(offline_sale) or reason
    else:
        return OfflineSaleAnswer(
            status="recorded",
            message=_("Sale %(number)s recorded.") % {"number": sale.pk},
            sale=sale,
        )
    refusal = _offline_refusal_keep(
        cashier=cashier, till_token=token, payload=payload, reason=reason, code=code, now=now
    )
    return OfflineSaleAnswer(status="refused", message=refusal.reason, refusal=refusal)


def _offline_already_recorded(sale: Sale) -> OfflineSaleAnswer:
    return OfflineSaleAnswer(
        status="already_recorded",
        message=_("Sale %(number)s was already recorded.") % {"number": sale.pk},
        sale=sale,
    )


def _offline_sold_at(sold_at: datetime, *, now: datetime) -> datetime:
    if sold_at > now + OFFLINE_CLOCK_SKEW:
        raise ValidationError(
            _(
                "This sale says it was made at %(sold_at)s, later than the server's time "
                "(%(now)s): the till's clock is wrong. Not recorded: set the phone's date and "
                "time, then sell it again."
            )
            % {"sold_at": _moment_display(sold_at), "now": _moment_display(now)},
            code="sold_at_future",
        )
    if sold_at < now - OFFLINE_MAX_AGE:
        raise ValidationError(
            _(
                "This sale was made at %(sold_at)s, more than %(days)s days ago: too old to "
                "record from the till's queue. Not recorded."
            )
            % {"sold_at": _moment_display(sold_at), "days": OFFLINE_MAX_AGE.days},
            code="sold_at_too_old",
        )
    return min(sold_at, now)


def _moment_display(moment: datetime) -> str:
    """A moment as staff read it, in the shop's time zone (7 Dec 2026 10:15)."""
    try:
        return formats.date_format(timezone.localtime(moment), "j M Y H:i")
    except OverflowError:  # the last hours of year 9999 (UTC) are in year 10000 in Nairobi
        return moment.astimezone(UTC).isoformat()


def _validation_code(error: ValidationError) -> str:
    errors = (
        error.error_list
        if hasattr(error, "error_list")
        else [item for items in error.error_dict.values() for item in items]
    )
    return next((item.code for item in errors if item.code), "invalid")


def _offline_stale_total_reason(offline_sale) -> str | None:
    """Why the till's total no longer stands: both totals, and the lines whose price moved
    (None if a product went off sale this instant: the service's words then stand)."""
    try:
        cart = _cart_products([(line.product_id, line.quantity) for line in offline_sale.lines])
    except ValidationError:
        return None
    customer = None
    if offline_sale.customer_id is not None:
        customer = (
            Customer.objects.select_related("group").filter(pk=offline_sale.customer_id).first()
        )
    priced = price_cart(cart, customer=customer)
    changes = [
        _("%(name)s: KES %(then)s at the till, KES %(now)s today")
        % {
            "name": now.product.name,
            "then": f"{then.unit_price:,.2f}",
            "now": f"{now.unit_price:,.2f}",
        }
        for then, now in zip(offline_sale.lines, priced.lines, strict=True)
        if then.unit_price != now.unit_price
    ]
    reason = _(
        "Prices changed before this sale reached the server: the till charged KES %(then)s, "
        "today's prices make KES %(now)s. Not recorded."
    ) % {"then": f"{offline_sale.total:,.2f}", "now": f"{priced.total:,.2f}"}
    return " ".join([reason, *(f"{change}." for change in changes)])


def _offline_refusal_keep(*, cashier, till_token, payload, reason, code, now):
    summary = offline_payload_summary(payload)
    customer_id = summary["customer_id"]
    if customer_id is not None and not Customer.objects.filter(pk=customer_id).exists():
        customer_id = None  # deleted meanwhile (or never was): the payload keeps the id sent
    products = Product.objects.in_bulk({line.product_id for line in summary["lines"]})
    lines = [
        {
            "product": line.product_id,
            "name": products[line.product_id].name if line.product_id in products else "",
            "code": products[line.product_id].code if line.product_id in products else "",
            "quantity": _quantity_text(line.quantity),
            "unit_price": f"{line.unit_price:.2f}",
        }
        for line in summary["lines"]
    ]
    try:
        with transaction.atomic():
            return OfflineSaleRefusal.objects.create(
                till_token=till_token,
                cashier=cashier,
                sold_at=summary["sold_at"],
                received_at=now,
                payload=payload,
                lines=lines,
                reason=reason,
                code=code[:40],
                total=summary["total"],
                payment_method=summary["payment_method"],
                mpesa_code=summary["mpesa_code"],
                customer_id=customer_id,
            )
    except IntegrityError:
        # The same sale sent twice at once: the other request kept the refusal.
        return OfflineSaleRefusal.objects.get(till_token=till_token)


def _quantity_text(quantity: Decimal) -> str:
    # quantity_display writes every digit: not for 1E+99999 typed by a broken till.
    return quantity_display(quantity) if abs(quantity.adjusted()) < 20 else str(quantity)


@transaction.atomic
def offline_refusal_deal(*, actor, refusal: OfflineSaleRefusal, note: str) -> OfflineSaleRefusal:
    """Mark a refused offline sale dealt with by `actor`, saying what was done (`note`, required:
    sold again, refunded, the M-Pesa payment traced). Recorded in the audit log."""
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            _("Say what was done about this sale: sold again, refunded, ..."), code="note"
        )
    refusal = OfflineSaleRefusal.objects.select_for_update().get(pk=refusal.pk)
    if refusal.is_dealt_with:
        raise ValidationError(
            _("This refused sale was already dealt with."), code="already_dealt_with"
        )
    refusal.dealt_with_at = timezone.now()
    refusal.dealt_with_by = actor
    refusal.note = note
    refusal.save(update_fields=["dealt_with_at", "dealt_with_by", "note"])
    audit_record(
        actor=actor,
        action=AuditAction.OFFLINE_REFUSAL_DEALT_WITH,
        target=refusal,
        details=note,
        at=refusal.dealt_with_at,
    )
    return refusal
