from django.db import models
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
