"""Reads over products and sales."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone
from django.utils.translation import gettext

from core.money import FIGURE_MAX_DIGITS, MONEY_DECIMAL_PLACES, ZERO
from core.roles import ROLES
from core.staff import staff_name_expression
from credit.models import CreditEntry, CreditEntryKind
from customers.models import Customer
from sales.models import Invoice, OfflineSaleRefusal, Product, Sale

VISIT_FIGURES = (
    "first_visit_at",
    "last_visit_at",
    "total_visits",
    "total_spent",
    "last_cashier_id",
    "last_cashier_name",
)
TILL_SEARCH_LIMIT = 8


def visit_figures_without_sales(customer) -> dict:
    """The visit figures of a customer with no sale yet (one being imported): their opening
    figures, which is what visit_figures_from_sales() gives them."""
    return {
        "first_visit_at": customer.opening_first_visit_at,
        "last_visit_at": customer.opening_last_visit_at,
        "total_visits": customer.opening_visits,
        "total_spent": customer.opening_spent,
    }


def visit_figures_from_sales() -> dict:
    """Each customer's visit figures computed from their sales (voided ones do not count) and
    their opening figures (visits before this system, imported), as expressions over Customer."""
    sales = Sale.objects.filter(customer=OuterRef("pk"), voided_at__isnull=True).order_by()
    per_customer = sales.values("customer")
    latest = sales.order_by("-sold_at", "-pk")
    # A customer's total spent adds up years of sales: a figure, as Customer.total_spent is.
    money = DecimalField(max_digits=FIGURE_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES)
    first_sale = Subquery(per_customer.annotate(v=Min("sold_at")).values("v"))
    last_sale = Subquery(per_customer.annotate(v=Max("sold_at")).values("v"))
    return {
        # The earlier (later) of the first (last) sale and the opening figure, either of
        # which may be missing: spelled out, as SQLite's MIN() of a NULL is NULL.
        "first_visit_at": Case(
            When(opening_first_visit_at__isnull=True, then=first_sale),
            When(~Exists(sales), then=F("opening_first_visit_at")),
            When(GreaterThan(F("opening_first_visit_at"), first_sale), then=first_sale),
            default=F("opening_first_visit_at"),
            output_field=DateTimeField(),
        ),
        "last_visit_at": Case(
            When(opening_last_visit_at__isnull=True, then=last_sale),
            When(~Exists(sales), then=F("opening_last_visit_at")),
            When(LessThan(F("opening_last_visit_at"), last_sale), then=last_sale),
            default=F("opening_last_visit_at"),
            output_field=DateTimeField(),
        ),
        "total_visits": F("opening_visits")
        + Coalesce(
            Subquery(per_customer.annotate(v=Count("pk")).values("v")),
            0,
            output_field=IntegerField(),
        ),
        "total_spent": ExpressionWrapper(
            F("opening_spent")
            + Coalesce(
                Subquery(per_customer.annotate(v=Sum("total")).values("v")),
                ZERO,
                output_field=money,
            ),
            output_field=money,
        ),
        "last_cashier_id": Subquery(latest.values("cashier_id")[:1]),
        "last_cashier_name": Subquery(latest.values_list(staff_name_expression("cashier__"))[:1]),
    }


def customers_with_stale_visit_figures(*, limit: int = 100) -> list[dict]:
    """Customers whose stored visit figures differ from what their sales say (at most `limit`)."""
    expected = {f"expected_{name}": expr for name, expr in visit_figures_from_sales().items()}
    rows = (
        Customer.objects.order_by("pk")
        .annotate(**expected)
        .values("pk", *VISIT_FIGURES, *expected)
        .iterator(chunk_size=5000)
    )
    stale = []
    for row in rows:
        differences = {
            name: (row[name], row[f"expected_{name}"])
            for name in VISIT_FIGURES
            if row[name] != row[f"expected_{name}"]
        }
        if differences:
            stale.append({"pk": row["pk"], "differences": differences})
            if len(stale) >= limit:
                break
    return stale


def product_by_code(code: str) -> Product | None:
    """The product on sale with exactly this code (what a barcode scanner types)."""
    code = (code or "").strip().upper()
    if not code:
        return None
    return Product.objects.filter(code=code, is_active=True).first()


def product_on_sale(pk: int) -> Product | None:
    return Product.objects.filter(pk=pk, is_active=True).first()


def products_for_till(text: str, *, limit: int = TILL_SEARCH_LIMIT) -> list[Product]:
    """Products on sale whose code starts with, or whose name contains, `text`."""
    text = (text or "").strip()
    if not text:
        return []
    return list(
        Product.objects.filter(is_active=True)
        .filter(Q(code__istartswith=text) | Q(name__icontains=text))
        .order_by("name", "pk")[:limit]
    )


def sale_list_queryset() -> QuerySet[Sale]:
    """Everything the sales table shows, in a fixed number of queries whatever the page size."""
    return Sale.objects.select_related("customer", "cashier", "payment")


def sale_for_receipt(pk: int) -> Sale:
    """A sale with what its receipt, invoice and detail page print, in a handful of queries."""
    return (
        Sale.objects.select_related(
            "customer", "customer__group", "cashier", "payment", "voided_by", "invoice"
        )
        .prefetch_related("lines", "credit_entries")
        .get(pk=pk)
    )


# --- products -----------------------------------------------------------------------------


def product_list_queryset() -> QuerySet[Product]:
    """Everything the product table shows: one query for the page, whatever its size."""
    return Product.objects.all()


def product_search(queryset: QuerySet[Product], text: str) -> QuerySet[Product]:
    """Products whose name contains `text` or whose code starts with it."""
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(Q(name__icontains=text) | Q(code__istartswith=text))


def product_with_code(code: str, *, exclude_pk=None) -> Product | None:
    """The product that has `code`, whatever its case (codes are stored upper-case, but a row
    written before that rule, or straight to the database, may not be)."""
    queryset = Product.objects.filter(code__iexact=(code or "").strip())
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    return queryset.only("pk", "name", "code").first()


def product_history(product: Product, *, limit: int = 20) -> list[dict]:
    """The latest changes to a product, newest first: who, when, what kind, and for a change
    each field's old and new value (prices as shillings)."""
    records = list(
        product.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    pairs = list(zip(records, records[1:] + [None], strict=True))[:limit]
    entries = []
    for newer, older in pairs:
        delta = (
            newer.diff_against(older) if older is not None and newer.history_type == "~" else None
        )
        changes = [
            {
                "field": Product._meta.get_field(change.field).verbose_name,
                "old": _product_value_display(change.old),
                "new": _product_value_display(change.new),
            }
            for change in (delta.changes if delta else [])
        ]
        entries.append({"record": newer, "changes": changes})
    return entries


def _product_value_display(value) -> str:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


# --- sales list ---------------------------------------------------------------------------


def sale_cashier_choices() -> QuerySet:
    """The shop's staff (Cashier, Manager or Admin role) by name: who the sales list filters by."""
    return (
        get_user_model()
        .objects.filter(groups__name__in=ROLES)
        .distinct()
        .order_by("first_name", "last_name", "username", "pk")
    )


# --- receipts and invoices ----------------------------------------------------------------

# How receipts and invoices print a date and time (in the shop's time zone, Africa/Nairobi).
DOCUMENT_DATETIME_FORMAT = "j M Y, H:i"


def invoice_display_number(number: int) -> str:
    """An invoice number as printed: 123 -> INV-000123."""
    return f"INV-{number:06d}"


def quantity_display(quantity: Decimal) -> str:
    """A quantity without trailing zeros: 2, 2.5, 0.125 (lines store three decimal places)."""
    text = f"{quantity:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class DocumentLine:
    """One line of a receipt or invoice: the name, code and prices as they were sold."""

    name: str
    code: str
    quantity: Decimal
    unit_price: Decimal
    line_total: Decimal

    @property
    def quantity_display(self) -> str:
        return quantity_display(self.quantity)


def document_lines(sale: Sale) -> list[DocumentLine]:
    """A sale's lines as its receipt and invoice print them (uses prefetched lines)."""
    return [
        DocumentLine(
            name=line.product_name,
            code=line.product_code,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
        )
        for line in sale.lines.all()
    ]


def sale_credit_entry(sale: Sale) -> CreditEntry | None:
    """The ledger entry a credit sale posted, whose balance_after is what the customer owed
    right after the sale (uses the entries prefetched by sale_for_receipt)."""
    for entry in sale.credit_entries.all():
        if entry.kind == CreditEntryKind.CREDIT_SALE:
            return entry
    return None


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything a tax invoice prints, read once: the HTML page and the PDF both show this.

    The customer's details and the shop's KRA PIN are the invoice's copies from when it was
    issued; the shop's name, address and phone come from the settings.
    """

    pk: int
    number: int
    display_number: str
    issued_at: datetime
    shop_name: str
    shop_address: str
    shop_phone: str
    shop_email: str
    shop_tax_pin: str
    customer_name: str
    customer_phone: str
    customer_village: str
    customer_address: str
    customer_tax_pin: str
    sale_pk: int
    sold_at: datetime
    lines: tuple[DocumentLine, ...]
    total: Decimal
    payment_method: str
    mpesa_code: str
    is_voided: bool
    voided_at: datetime | None

    @property
    def filename(self) -> str:
        return f"invoice-{self.display_number}.pdf"


def invoice_document(invoice: Invoice | int) -> InvoiceDocument:
    """The printable content of an invoice (given or by pk), times in the shop's time zone.

    Raises Invoice.DoesNotExist for an unknown pk.
    """
    pk = invoice.pk if isinstance(invoice, Invoice) else invoice
    invoice = (
        Invoice.objects.select_related("sale", "sale__payment")
        .prefetch_related("sale__lines")
        .get(pk=pk)
    )
    sale = invoice.sale
    payment = getattr(sale, "payment", None)
    return InvoiceDocument(
        pk=invoice.pk,
        number=invoice.number,
        display_number=invoice_display_number(invoice.number),
        issued_at=timezone.localtime(invoice.issued_at),
        shop_name=settings.SHOP_NAME,
        shop_address=settings.SHOP_ADDRESS,
        shop_phone=settings.SHOP_PHONE,
        shop_email=settings.SHOP_EMAIL,
        shop_tax_pin=invoice.shop_tax_pin,
        customer_name=invoice.customer_name,
        customer_phone=invoice.customer_phone,
        customer_village=invoice.customer_village,
        customer_address=invoice.customer_address,
        customer_tax_pin=invoice.customer_tax_pin,
        sale_pk=sale.pk,
        sold_at=timezone.localtime(sale.sold_at),
        lines=tuple(document_lines(sale)),
        total=sale.total,
        payment_method=str(sale.get_payment_method_display()),
        mpesa_code=payment.mpesa_code if payment is not None else "",
        is_voided=sale.is_voided,
        voided_at=timezone.localtime(sale.voided_at) if sale.voided_at else None,
    )


# --- the till without the link (issue 18) ---------------------------------------------------

# How many waiting refusals the sales list counts at most: "99+" says enough.
OFFLINE_REFUSALS_COUNTED = 99


def products_for_offline_till() -> list[tuple]:
    """Every product on sale as (id, code, name, retail price, wholesale price), by name: what
    the till keeps in the browser to sell while the link is down. One query, no model rows."""
    return list(
        Product.objects.filter(is_active=True)
        .order_by("name", "pk")
        .values_list("pk", "code", "name", "retail_price", "wholesale_price")
    )


def offline_refusal_list_queryset() -> QuerySet[OfflineSaleRefusal]:
    """Everything the refused offline sales table shows, in one query whatever the page size
    (the lines and the customer's id as sent are kept on the row)."""
    return OfflineSaleRefusal.objects.select_related("cashier", "customer", "dealt_with_by")


def offline_refusals_waiting_count() -> int:
    """How many refused offline sales wait for a manager, up to OFFLINE_REFUSALS_COUNTED + 1:
    their ids read from the index of waiting ones, never a COUNT over the table (the sales
    list, which shows it, holds itself to none)."""
    waiting = OfflineSaleRefusal.objects.filter(dealt_with_at__isnull=True).order_by()
    return len(waiting.values_list("pk", flat=True)[: OFFLINE_REFUSALS_COUNTED + 1])
