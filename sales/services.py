"""Recording sales and keeping each customer's visit figures in step with them."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import to_money
from credit.services import credit_sale_post
from customers.models import Customer
from customers.services import customer_lock
from sales.models import PaymentMethod, Sale
from sales.selectors import visit_figures_from_sales


@transaction.atomic
def sale_record(
    *,
    cashier,
    total: Decimal,
    payment_method: str,
    customer: Customer | None = None,
    sold_at=None,
) -> Sale:
    """Record a completed sale, and in the same transaction the customer's visit figures and,
    for a credit sale, the ledger entry and new balance. Raises ValidationError, nothing written.

    A sale is one visit. Last Cashier is the cashier of the customer's latest sale.
    """
    total = to_money(total)
    if total < 0:
        raise ValidationError(_("A sale total cannot be negative."), code="negative_total")
    if payment_method not in PaymentMethod.values:
        raise ValidationError(_("Choose Cash, M-Pesa or Credit."), code="payment_method")
    if payment_method == PaymentMethod.CREDIT and customer is None:
        raise ValidationError(
            _("A credit sale needs a customer: a walk-in sale cannot be on credit."),
            code="credit_needs_customer",
        )
    sold_at = sold_at or timezone.now()
    locked = customer_lock(customer.pk) if customer is not None else None
    sale = Sale.objects.create(
        customer=locked,
        cashier=cashier,
        total=total,
        payment_method=payment_method,
        sold_at=sold_at,
    )
    if locked is not None:
        _count_visit(locked, sale)
        if payment_method == PaymentMethod.CREDIT:
            credit_sale_post(locked_customer=locked, sale=sale, actor=cashier)
    return sale


def _count_visit(customer: Customer, sale: Sale) -> None:
    if customer.first_visit_at is None or sale.sold_at < customer.first_visit_at:
        customer.first_visit_at = sale.sold_at
    if customer.last_visit_at is None or sale.sold_at >= customer.last_visit_at:
        customer.last_visit_at = sale.sold_at
        customer.last_cashier_id = sale.cashier_id
    customer.total_visits += 1
    customer.total_spent += sale.total
    # A queryset update, not save(): visit figures move with every sale and are not part of the
    # customer's change history (the sales are their record).
    Customer.objects.filter(pk=customer.pk).update(
        first_visit_at=customer.first_visit_at,
        last_visit_at=customer.last_visit_at,
        last_cashier_id=customer.last_cashier_id,
        total_visits=customer.total_visits,
        total_spent=customer.total_spent,
    )


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
