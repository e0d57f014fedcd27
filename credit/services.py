"""Every change of a credit balance: under the customer's row lock, with its ledger entry."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.money import to_money
from credit.models import CreditEntry, CreditEntryKind
from customers.models import Customer


class CreditLimitExceeded(ValidationError):
    def __init__(self, *, balance: Decimal, limit: Decimal, amount: Decimal):
        self.balance, self.limit = balance, limit
        self.shortfall = balance + amount - limit
        super().__init__(
            _(
                "Credit refused: balance KES %(balance)s + this sale KES %(amount)s would pass "
                "the limit of KES %(limit)s by KES %(shortfall)s."
            )
            % {
                "balance": f"{balance:,.2f}",
                "amount": f"{amount:,.2f}",
                "limit": f"{limit:,.2f}",
                "shortfall": f"{self.shortfall:,.2f}",
            },
            code="credit_limit_exceeded",
        )


def credit_sale_post(*, locked_customer: Customer, sale, actor) -> CreditEntry:
    """Add a credit sale to what the customer owes, refusing it past the credit limit.

    The caller holds the customer's row lock (customers.services.customer_lock) inside its
    transaction, so the balance read here is the one written back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("credit_sale_post() must run inside the sale's transaction")
    amount = to_money(sale.total)
    balance = locked_customer.credit_balance
    if balance + amount > locked_customer.credit_limit:
        raise CreditLimitExceeded(
            balance=balance, limit=locked_customer.credit_limit, amount=amount
        )
    return _post(
        customer=locked_customer,
        kind=CreditEntryKind.CREDIT_SALE,
        amount=amount,
        actor=actor,
        sale=sale,
    )


def credit_sale_reverse(*, locked_customer: Customer, sale, actor, reason: str) -> CreditEntry:
    """Take a voided credit sale off what the customer owes, in the void's transaction.

    Refused if the customer now owes less than the sale: part of it was paid, and giving that
    money back is a refund, not a void.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("credit_sale_reverse() must run inside the void's transaction")
    amount = to_money(sale.total)
    if locked_customer.credit_balance < amount:
        raise ValidationError(
            _(
                "This credit sale cannot be voided: %(name)s owes only KES %(balance)s of its "
                "KES %(amount)s, so part of it has been paid."
            )
            % {
                "name": locked_customer.name,
                "balance": f"{locked_customer.credit_balance:,.2f}",
                "amount": f"{amount:,.2f}",
            },
            code="credit_partly_paid",
        )
    return _post(
        customer=locked_customer,
        kind=CreditEntryKind.SALE_VOIDED,
        amount=-amount,
        actor=actor,
        sale=sale,
        reason=reason,
    )


def _post(*, customer: Customer, kind, amount: Decimal, actor, sale=None, reason="") -> CreditEntry:
    customer.credit_balance = customer.credit_balance + amount
    # The ledger entry is this change's record; a queryset update keeps it out of the
    # customer's edit history.
    Customer.objects.filter(pk=customer.pk).update(credit_balance=customer.credit_balance)
    return CreditEntry.objects.create(
        customer=customer,
        kind=kind,
        amount=amount,
        balance_after=customer.credit_balance,
        sale=sale,
        reason=reason,
        created_by=actor,
    )
