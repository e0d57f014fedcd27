"""Reads over sales."""

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, ZERO
from customers.models import Customer
from sales.models import Sale

VISIT_FIGURES = (
    "first_visit_at",
    "last_visit_at",
    "total_visits",
    "total_spent",
    "last_cashier_id",
)


def visit_figures_from_sales() -> dict:
    """Each customer's visit figures computed from the sales, as expressions over Customer."""
    sales = Sale.objects.filter(customer=OuterRef("pk")).order_by()
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
