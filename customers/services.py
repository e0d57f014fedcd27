"""Every write to customers. Views and forms hand cleaned data to these functions."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import AuditAction, AuditEvent
from core.money import to_money
from core.staff import staff_name
from customers.models import Cluster, Customer, CustomerGroup
from customers.selectors import customer_group_default
from sales.figures import figures_forget_cluster, figures_forget_customer, figures_move_customer
from sales.models import Invoice

# Fields a person may set through the forms and services (visit figures and the credit
# balance are kept by the sales and credit services, never typed in).
EDITABLE_FIELDS = (
    "name",
    "phone",
    "email",
    "address",
    "village",
    "tax_pin",
    "group",
    "send_sms",
    "latitude",
    "longitude",
    "notes",
    "credit_limit",
)
PERSONAL_FIELDS_BLANKED_ON_DELETE = {
    "email": "",
    "address": "",
    "village": "",
    "tax_pin": "",
    "latitude": None,
    "longitude": None,
    "notes": "",
}


def last_cashier_name_refresh(*, cashier: AbstractBaseUser) -> int:
    """After a member of staff's name changed: the customers they served last show (and sort
    by) the new name. Returns how many customers changed."""
    return Customer.objects.filter(last_cashier=cashier).update(
        last_cashier_name=staff_name(cashier)
    )


def customer_lock(customer_id: int) -> Customer:
    """Re-read a customer under a row lock, for changes to balances and visit figures.

    FOR NO KEY UPDATE on PostgreSQL: blocks other balance writers, not inserts of sales and
    ledger rows that point at the customer.
    """
    # The group comes along (the till prices by it) without being locked itself.
    return (
        Customer.objects.select_related("group")
        .select_for_update(no_key=True, of=("self",))
        .get(pk=customer_id)
    )


def _normalise(fields: dict) -> dict:
    if fields.get("tax_pin"):
        fields["tax_pin"] = fields["tax_pin"].strip().upper()
    if "name" in fields:
        fields["name"] = " ".join((fields["name"] or "").split())
    if "village" in fields:
        fields["village"] = " ".join((fields["village"] or "").split())
    if fields.get("credit_limit") is not None:
        fields["credit_limit"] = to_money(fields["credit_limit"])
    return fields


def customer_cluster_ids(customer: Customer) -> list[int]:
    return list(customer.clusters.values_list("pk", flat=True))


def _save(customer: Customer, *, actor, clusters) -> Customer:
    customer._history_user = actor
    customer.full_clean()
    try:
        with transaction.atomic():
            is_new = customer.pk is None
            customer.save()
            if clusters is not None:
                before = [] if is_new else customer_cluster_ids(customer)
                customer.clusters.set(clusters)
                # A customer's figures count in the clusters they are in now (reports).
                figures_move_customer(customer, before, customer_cluster_ids(customer))
    except IntegrityError as error:
        # Two people saved the same phone or PIN at the same moment; full_clean could not see it.
        raise ValidationError(
            _("Another customer was just saved with this phone number or Tax PIN.")
        ) from error
    return customer


@transaction.atomic
def customer_create(
    *,
    actor: AbstractBaseUser,
    name: str,
    phone,
    clusters: list[Cluster] | None = None,
    group: CustomerGroup | None = None,
    credit_limit: Decimal = Decimal("0"),
    **fields,
) -> Customer:
    """Create a customer. The phone is stored in E.164 and must be unique; the group defaults to
    Walk-in. Raises ValidationError (nothing written) if any field is invalid."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"customer_create() got unexpected fields {sorted(unknown)}")
    fields = _normalise(
        {
            "name": name,
            "phone": phone,
            "group": group or customer_group_default(),
            "credit_limit": credit_limit,
            **fields,
        }
    )
    customer = Customer(**fields)
    customer = _save(customer, actor=actor, clusters=list(clusters or []))
    audit_record(actor=actor, action=AuditAction.CUSTOMER_ADDED, target=customer)
    return customer


@transaction.atomic
def customer_update(
    *, actor: AbstractBaseUser, customer: Customer, clusters=None, **fields
) -> Customer:
    """Change the given fields (and clusters, if given). Raises ValidationError, nothing written."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"customer_update() got unexpected fields {sorted(unknown)}")
    customer = customer_lock(customer.pk)
    before = {name: getattr(customer, name) for name in fields}
    clusters_before = set(customer_cluster_ids(customer)) if clusters is not None else None
    for name, value in _normalise(fields).items():
        setattr(customer, name, value)
    customer = _save(
        customer, actor=actor, clusters=list(clusters) if clusters is not None else None
    )
    changed = [name for name, value in before.items() if getattr(customer, name) != value]
    if clusters is not None and set(customer_cluster_ids(customer)) != clusters_before:
        changed.append("clusters")
    if changed:
        audit_record(
            actor=actor,
            action=AuditAction.CUSTOMER_CHANGED,
            target=customer,
            details=_changes_in_words(customer, changed, before),
        )
    return customer


def _changes_in_words(customer: Customer, changed: list[str], before: dict) -> str:
    """The fields changed, by the names the form shows; values only for the credit limit (money),
    never personal data, which a deletion must be able to erase from the log."""
    words = []
    for name in changed:
        label = str(Customer._meta.get_field(name).verbose_name)
        if name == "credit_limit":
            label += f" {before[name]:,.2f} → {customer.credit_limit:,.2f}"
        words.append(label)
    return ", ".join(words)


@transaction.atomic
def customer_delete(*, actor: AbstractBaseUser, customer: Customer) -> None:
    """Permanently remove a customer's personal data.

    Refused while the customer owes credit. Past sales and ledger entries stay in the books with
    no person attached, so revenue reports do not change. The audit trail keeps who created,
    changed and deleted the record and when, but its copies of the personal data are blanked:
    a deletion that left the phone number in the history would not be one.
    """
    customer = customer_lock(customer.pk)
    if customer.credit_balance > 0:
        raise ValidationError(
            _(
                "%(name)s still owes KES %(balance)s on credit. Record the payment before "
                "deleting the customer."
            )
            % {"name": customer.name, "balance": f"{customer.credit_balance:,.2f}"},
            code="owes_credit",
        )
    customer_id = customer.pk
    # Issued invoices stay numbered in the books, without the person's details.
    Invoice.objects.filter(sale__customer_id=customer_id).update(
        customer_name=_("Deleted customer"),
        customer_phone="",
        customer_village="",
        customer_address="",
        customer_tax_pin="",
    )
    figures_forget_customer(customer)  # their sales become walk-in sales in the reports
    customer._history_user = actor
    customer.delete()
    # The log keeps that the customer was added, changed and deleted, but not their name.
    AuditEvent.objects.filter(target_type="customer", target_id=customer_id).update(
        target=_("Deleted customer")
    )
    audit_record(
        actor=actor,
        action=AuditAction.CUSTOMER_DELETED,
        target_type="customer",
        target_id=customer_id,
        target_text=_("Deleted customer"),
    )
    Customer.history.filter(id=customer_id).update(
        name=_("Deleted customer"),
        phone="",
        **PERSONAL_FIELDS_BLANKED_ON_DELETE,
    )


@transaction.atomic
def cluster_delete(*, cluster: Cluster) -> None:
    """Delete a cluster. Its members stay customers; those left in no cluster count as "No
    cluster" in the reports from now on."""
    figures_forget_cluster(cluster.pk)
    cluster.delete()


@transaction.atomic
def customer_clusters_changed(*, customer: Customer, before: list[int]) -> None:
    """Keep the report figures with clusters set outside customer_update (Django admin)."""
    customer = customer_lock(customer.pk)
    figures_move_customer(customer, before, customer_cluster_ids(customer))
