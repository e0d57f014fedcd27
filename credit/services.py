"""Every change of a credit balance: under the customer's row lock, with its ledger entry."""

import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import AuditAction
from core.money import MONEY_MAX, to_money
from core.mpesa import (
    mpesa_code_claim,
    mpesa_code_validate,
)
from core.once import record_once
from credit.models import CreditEntry, CreditEntryKind, CreditPayment, CreditPaymentMethod
from customers.models import Customer
from customers.services import customer_lock, customer_update


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
        at=sale.sold_at,  # ageing counts from the day of the sale
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


class PaymentAlreadyRecorded(Exception):
    """The payment form was sent again (a double click, a resend): its payment exists."""

    def __init__(self, payment: CreditPayment):
        self.payment = payment
        super().__init__(f"payment form already recorded as payment {payment.pk}")


def credit_payment_receive(
    *,
    actor,
    customer: Customer,
    amount,
    method: str,
    mpesa_code: str = "",
    form_token: uuid.UUID | None = None,
    received_at=None,
) -> CreditPayment:
    """Receive money on account: partial or full, Cash or M-Pesa, never more than is owed.

    Under the customer's row lock, in one transaction: the ledger entry, the new balance and the
    payment with the balance before and after (for its receipt). An M-Pesa code counts once,
    across till sales and payments. Raises ValidationError with nothing written, or
    PaymentAlreadyRecorded when `form_token` already took a payment. `received_at` records a
    payment taken earlier (a paper receipt entered later); it defaults to now.
    """
    return record_once(
        lambda: _credit_payment_receive(
            actor=actor,
            customer_id=customer.pk,
            amount=amount,
            method=method,
            mpesa_code=mpesa_code,
            form_token=form_token,
            received_at=received_at,
        ),
        model=CreditPayment,
        token=form_token,
        token_field="form_token",
        already_recorded=PaymentAlreadyRecorded,
        mpesa_code=mpesa_code if method == CreditPaymentMethod.MPESA else "",
    )


@transaction.atomic
def _credit_payment_receive(
    *, actor, customer_id, amount, method, mpesa_code, form_token, received_at
):
    try:
        amount = to_money(amount)
    except (InvalidOperation, ValueError, TypeError) as error:
        raise ValidationError(_("Enter the amount paid."), code="amount") from error
    if not amount.is_finite() or amount <= 0:
        raise ValidationError(_("The amount paid must be more than zero."), code="amount")
    if method not in CreditPaymentMethod.values:
        raise ValidationError(_("Choose Cash or M-Pesa."), code="method")
    code = mpesa_code_validate(mpesa_code) if method == CreditPaymentMethod.MPESA else ""
    customer = customer_lock(customer_id)
    balance = customer.credit_balance
    if balance <= 0:
        raise ValidationError(
            _("%(name)s owes nothing on credit.") % {"name": customer.name}, code="owes_nothing"
        )
    if amount > balance:
        raise ValidationError(
            _("KES %(amount)s is more than the KES %(balance)s that %(name)s owes.")
            % {"amount": f"{amount:,.2f}", "balance": f"{balance:,.2f}", "name": customer.name},
            code="more_than_owed",
        )
    if code:
        mpesa_code_claim(code, purpose="credit payment")
    entry = _post(
        customer=customer,
        kind=CreditEntryKind.PAYMENT,
        amount=-amount,
        actor=actor,
        at=received_at,
    )
    return CreditPayment.objects.create(
        customer=customer,
        entry=entry,
        method=method,
        amount=amount,
        balance_before=balance,
        balance_after=entry.balance_after,
        mpesa_code=code,
        received_by=actor,
        received_at=entry.created_at,
        form_token=form_token,
    )


class AdjustmentAlreadyRecorded(Exception):
    """The adjustment form was sent again: its adjustment exists."""

    def __init__(self, entry: CreditEntry):
        self.entry = entry
        super().__init__(f"adjustment form already recorded as entry {entry.pk}")


def credit_adjust(
    *,
    actor,
    customer: Customer,
    amount,
    reason: str,
    at=None,
    form_token: uuid.UUID | None = None,
) -> CreditEntry:
    """A manager's correction of what a customer owes, up or down, always with a reason.

    It cannot take the balance below zero (money owed to the customer is a refund, not credit),
    nor add more than TILL_MAX_SALE_TOTAL at once (a typo, not a correction).
    Raises AdjustmentAlreadyRecorded when `form_token` already made an adjustment.
    """
    return record_once(
        lambda: _credit_adjust(
            actor=actor, customer=customer, amount=amount, reason=reason, at=at, token=form_token
        ),
        model=CreditEntry,
        token=form_token,
        token_field="form_token",
        already_recorded=AdjustmentAlreadyRecorded,
    )


@transaction.atomic
def _credit_adjust(*, actor, customer, amount, reason, at, token) -> CreditEntry:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give a reason for the adjustment."), code="reason")
    try:
        amount = to_money(amount)
    except (InvalidOperation, ValueError, TypeError) as error:
        raise ValidationError(_("Enter the adjustment as an amount."), code="amount") from error
    if not amount.is_finite() or amount == 0:
        raise ValidationError(_("An adjustment cannot be zero."), code="amount")
    # A correction is never more than one sale could have been (TILL_MAX_SALE_TOTAL); a
    # decrease is bounded by what is owed, below.
    if amount > settings.TILL_MAX_SALE_TOTAL:
        raise ValidationError(
            _("Adjustment KES %(amount)s looks wrong: check it.") % {"amount": f"{amount:,.2f}"},
            code="amount_too_large",
        )
    customer = customer_lock(customer.pk)
    if customer.credit_balance + amount > MONEY_MAX:
        raise ValidationError(
            _(
                "%(name)s owes KES %(balance)s: an adjustment of KES %(amount)s would be more "
                "than the books can hold. Check the balance."
            )
            % {
                "name": customer.name,
                "balance": f"{customer.credit_balance:,.2f}",
                "amount": f"{amount:,.2f}",
            },
            code="balance_too_large",
        )
    if customer.credit_balance + amount < 0:
        raise ValidationError(
            _(
                "%(name)s owes KES %(balance)s: an adjustment of KES %(amount)s would leave the "
                "shop owing the customer."
            )
            % {
                "name": customer.name,
                "balance": f"{customer.credit_balance:,.2f}",
                "amount": f"{amount:,.2f}",
            },
            code="below_zero",
        )
    return _post(
        customer=customer,
        kind=CreditEntryKind.ADJUSTMENT,
        amount=amount,
        actor=actor,
        reason=reason[:255],
        at=at,
        form_token=token,
    )


def credit_limit_set(*, actor, customer: Customer, credit_limit) -> Customer:
    """Set how much a customer may owe (0: no credit). Kept in the customer's change history.

    A limit below what the customer already owes is allowed: it stops further credit sales.
    """
    try:
        credit_limit = to_money(credit_limit)
    except (InvalidOperation, ValueError, TypeError) as error:
        raise ValidationError(
            {"credit_limit": _("Enter the credit limit as an amount.")}
        ) from error
    if credit_limit < 0:
        raise ValidationError({"credit_limit": _("A credit limit cannot be below zero.")})
    return customer_update(actor=actor, customer=customer, credit_limit=credit_limit)


def _post(
    *,
    customer: Customer,
    kind,
    amount: Decimal,
    actor,
    sale=None,
    reason="",
    at=None,
    form_token=None,
) -> CreditEntry:
    customer.credit_balance = customer.credit_balance + amount
    # The ledger entry is this change's record; a queryset update keeps it out of the
    # customer's edit history.
    Customer.objects.filter(pk=customer.pk).update(credit_balance=customer.credit_balance)
    entry = CreditEntry.objects.create(
        customer=customer,
        kind=kind,
        amount=amount,
        balance_after=customer.credit_balance,
        sale=sale,
        reason=reason,
        created_by=actor,
        created_at=at or timezone.now(),
        form_token=form_token,
    )
    # A void is recorded once, by sale_void, for cash and credit sales alike.
    if kind != CreditEntryKind.SALE_VOIDED:
        audit_record(
            actor=actor,
            action=_AUDIT_ACTIONS[kind],
            target=customer,
            amount=amount,
            details=_audit_details(entry),
            at=entry.created_at,
        )
    return entry


_AUDIT_ACTIONS = {
    CreditEntryKind.CREDIT_SALE: AuditAction.CREDIT_SALE,
    CreditEntryKind.PAYMENT: AuditAction.CREDIT_PAYMENT,
    CreditEntryKind.ADJUSTMENT: AuditAction.CREDIT_ADJUSTMENT,
}


def _audit_details(entry: CreditEntry) -> str:
    parts = [_("now owes KES %(balance)s") % {"balance": f"{entry.balance_after:,.2f}"}]
    if entry.sale_id:
        parts.insert(0, _("Sale %(number)s") % {"number": entry.sale_id})
    if entry.reason:
        parts.insert(0, entry.reason)
    return "; ".join(parts)
