"""Reads over products and sales."""

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, ZERO
from customers.models import Customer
from sales.models import Product, Sale

VISIT_FIGURES = (
    "first_visit_at",
    "last_visit_at",
    "total_visits",
    "total_spent",
    "last_cashier_id",
)
TILL_SEARCH_LIMIT = 8


def visit_figures_from_sales() -> dict:
    """Each customer's visit figures computed from their sales (voided ones do not count),
    as expressions over Customer."""
    sales = Sale.objects.filter(customer=OuterRef("pk"), voided_at__isnull=True).order_by()
    per_customer = sales.values("customer")
    latest = sales.order_by("-sold_at", "-pk")
    return {
        "first_visit_at": Subquery(per_customer.annotate(v=Min("sold_at")).values("v")),
        "last_visit_at": Subquery(per_customer.annotate(v=Max("sold_at")).values("v")),
        "total_visits": Coalesce(
            Subquery(per_customer.annotate(v=Count("pk")).values("v")),
            0,
            output_field=IntegerField(),
        ),
        "total_spent": Coalesce(
            Subquery(per_customer.annotate(v=Sum("total")).values("v")),
            ZERO,
            output_field=DecimalField(
                max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES
            ),
        ),
        "last_cashier_id": Subquery(latest.values("cashier_id")[:1]),
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
