from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NumberSequence(models.Model):
    """A counter for documents that must be numbered without gaps (invoices).

    Taken under a row lock in the same transaction as the document it numbers (see
    core.sequences): a rolled-back document gives its number back.
    """

    name = models.SlugField(_("name"), max_length=40, unique=True)
    last_value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self):
        return f"{self.name}: {self.last_value}"


class MpesaCode(models.Model):
    """Every M-Pesa transaction code the shop has accepted, whatever it paid (a sale at the till
    or a payment on account): the one place that makes a code count only once."""

    code = models.CharField(_("M-Pesa code"), max_length=10, primary_key=True)
    purpose = models.CharField(_("paid for"), max_length=20)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("M-Pesa code")
        verbose_name_plural = _("M-Pesa codes")

    def __str__(self):
        return self.code


class ImportRecord(models.Model):
    """One spreadsheet brought in (customers, products): who, when, which file, and what it did.

    Kept as the import's audit record. The file's bytes stay only between the upload and the
    import (then they are cleared: they may hold people's phone numbers); the findings of the
    check (the preview) and then of the import are kept with it. Background jobs do the work
    (core.importing); `status` says where it is.
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("Being checked")
        PREVIEWED = "previewed", _("Previewed, not imported yet")
        IMPORTING = "importing", _("Being imported")
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("Refused: nothing written")

    # A background job is checking or importing the file (core.tasks).
    WORKING = (Status.CHECKING, Status.IMPORTING)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=255)
    content = models.BinaryField(_("file content"), editable=False, default=bytes)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREVIEWED
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    rows_new = models.PositiveIntegerField(_("new"), default=0)
    rows_updated = models.PositiveIntegerField(_("updated"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_refused = models.PositiveIntegerField(_("refused"), default=0)
    # What the preview found: notes, the refused rows' messages, the first rows' actions.
    findings = models.JSONField(_("findings"), default=dict)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # When the current background job was queued: a job that has not started after a while
    # means no worker is running, which the page says.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class AuditAction(models.TextChoices):
    CUSTOMER_ADDED = "customer_added", _("Customer added")
    CUSTOMER_CHANGED = "customer_changed", _("Customer changed")
    CUSTOMER_DELETED = "customer_deleted", _("Customer deleted")
    CREDIT_SALE = "credit_sale", _("Credit sale")
    CREDIT_PAYMENT = "credit_payment", _("Payment on account")
    CREDIT_ADJUSTMENT = "credit_adjustment", _("Credit adjustment")
    SALE_VOIDED = "sale_voided", _("Sale voided")
    EXPORT = "export", _("Export")
    IMPORT_UPLOADED = "import_uploaded", _("Import uploaded")
    IMPORT_CONFIRMED = "import_confirmed", _("Import confirmed")
    IMPORT_FINISHED = "import_finished", _("Import finished")
    OFFLINE_REFUSAL_DEALT_WITH = "offline_refusal_dealt", _("Refused offline sale dealt with")


class AuditEvent(models.Model):
    """Who did what, and when, to money, customers, exports and imports: one row per change,
    written by the service that made it, in the same transaction (core.audit). Never changed
    or deleted by the application; the back office reads it at reports:audit_log.

    The actor's name is kept as it was, so the record still reads right after the account is
    renamed or removed; `target` names the object as it was (a deleted customer included)."""

    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    actor_name = models.CharField(_("who"), max_length=301)
    action = models.CharField(_("what"), max_length=30, choices=AuditAction.choices)
    target_type = models.CharField(_("of"), max_length=30, blank=True)
    target_id = models.BigIntegerField(_("id"), null=True, blank=True)
    target = models.CharField(_("on"), max_length=255, blank=True)
    amount = models.DecimalField(
        _("amount (KES)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    details = models.TextField(_("details"), blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            # The log newest first, whole or by what was done or by whom, read by keyset pages.
            models.Index(fields=["occurred_at", "id"], name="core_audit_when_idx"),
            models.Index(fields=["action", "occurred_at", "id"], name="core_audit_action_idx"),
            models.Index(fields=["actor", "occurred_at", "id"], name="core_audit_actor_idx"),
            models.Index(fields=["target_type", "target_id"], name="core_audit_target_idx"),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_name}: {self.get_action_display()}"
