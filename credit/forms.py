"""Input shape only: the credit views hand cleaned data to credit.services, which has the rules
(never more than is owed, an M-Pesa code once, a reason for every adjustment, no limit below 0)."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from credit.models import CreditPaymentMethod


class AmountField(forms.DecimalField):
    """Shillings as people type them: "1,500", " 1500.50 ", "-200" or "+200"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").replace(" ", "")
        return super().to_python(value)


class OneUseForm(forms.Form):
    """A form that records money: one token per rendered form, so the service records it once
    and a double click or a resent form finds what the first one recorded."""

    form_token = forms.UUIDField(widget=forms.HiddenInput)
    out_of_date_message = _("This form is out of date. Check it and send it again.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.token_was_missing = False
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())
        elif _uuid_or_none(self.data.get("form_token")) is None:
            # Without its token the form could be a resend of anything: a fresh one, and a
            # request to check and send again.
            self.data = self.data.copy()
            self.data["form_token"] = str(uuid.uuid4())
            self.token_was_missing = True

    def clean(self):
        cleaned = super().clean()
        if self.token_was_missing:
            raise forms.ValidationError(self.out_of_date_message, code="form_token")
        return cleaned


class PaymentReceiveForm(OneUseForm):
    """Receive Payment: how much, Cash or M-Pesa, and the form's one-use token."""

    out_of_date_message = _("This payment form is out of date. Check the amount and send it again.")

    amount = AmountField(
        label=_("Amount paid (KES)"),
        error_messages={
            "required": _("Enter the amount paid."),
            "invalid": _("Enter the amount paid as a number, e.g. 1500 or 1,500.50."),
        },
    )
    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=CreditPaymentMethod.choices,
        initial=CreditPaymentMethod.CASH,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose Cash or M-Pesa."),
            "invalid_choice": _("Choose Cash or M-Pesa."),
        },
    )
    mpesa_code = forms.CharField(
        label=_("M-Pesa code"),
        required=False,
        max_length=14,
        help_text=_("For M-Pesa only: the 10 letters and digits of the confirmation SMS."),
        widget=forms.TextInput(
            attrs={
                "placeholder": "NLJ7RT61SV",
                "autocomplete": "off",
                "style": "text-transform: uppercase",
            }
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == CreditPaymentMethod.MPESA:
            if not cleaned.get("mpesa_code", "").strip():
                self.add_error("mpesa_code", _("Enter the M-Pesa code for an M-Pesa payment."))
        else:
            cleaned["mpesa_code"] = ""  # a code typed before switching to Cash is not recorded
        return cleaned


class CreditAdjustForm(OneUseForm):
    """A manager's correction: a signed amount and why."""

    out_of_date_message = _("This adjustment form is out of date. Check it and send it again.")

    amount = AmountField(
        label=_("Adjustment (KES)"),
        help_text=_(
            "“+” adds to what the customer owes, “-” takes off what they owe: e.g. +200 or -150."
        ),
        error_messages={
            "required": _("Enter the adjustment as an amount."),
            "invalid": _("Enter the adjustment as an amount, e.g. +200 or -150."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        error_messages={"required": _("Give a reason for the adjustment.")},
    )


class CreditLimitForm(forms.Form):
    credit_limit = AmountField(
        label=_("Credit limit (KES)"),
        help_text=_("How much this customer may owe. 0 means no credit."),
        error_messages={
            "required": _("Enter the credit limit as an amount."),
            "invalid": _("Enter the credit limit as an amount, e.g. 5000."),
        },
    )


class StatementPeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": _("Enter the first day of the period.")},
    )
    end = forms.DateField(
        label=_("To"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": _("Enter the last day of the period.")},
    )

    @staticmethod
    def default_period() -> dict:
        """The first of this month to today (Africa/Nairobi)."""
        today = timezone.localdate()
        return {"start": today.replace(day=1), "end": today}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(
                _("The period ends before it starts: choose a “To” date on or after “From”."),
                code="period",
            )
        return cleaned


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
