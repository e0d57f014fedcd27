"""The audit log's one writer: services call audit_record() in the transaction of the change
they make, so a change and its record are committed (or rolled back) together."""

from decimal import Decimal

from core.models import AuditAction, AuditEvent
from core.staff import staff_name


def audit_record(
    *,
    actor,
    action: AuditAction,
    target=None,
    target_type: str = "",
    target_id: int | None = None,
    target_text: str = "",
    amount: Decimal | None = None,
    details: str = "",
    at=None,
) -> AuditEvent:
    """Record that `actor` (a user, or None for the system) did `action` to `target`: a model
    instance, or for one that no longer exists `target_type`, `target_id` and `target_text`.
    `details` says what, in words a manager reads; `amount` is the money moved, if any."""
    fields = {}
    if at is not None:
        fields["occurred_at"] = at
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=staff_name(actor) if getattr(actor, "pk", None) else "",
        action=action,
        target_type=target_type or (target._meta.model_name if target is not None else ""),
        target_id=getattr(target, "pk", target_id),
        target=(str(target) if target is not None else target_text)[:255],
        amount=amount,
        details=details,
        **fields,
    )
