"""A customer's credit pages: the balance and its ledger, Receive Payment and its 80 mm receipt,
adjustments, the credit limit, and the statement for a period."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.money import to_money
from core.views import ServiceFormView, StaffPermissionRequiredMixin
from credit.forms import (
    CreditAdjustForm,
    CreditLimitForm,
    PaymentReceiveForm,
    StatementPeriodForm,
)
from credit.models import CreditEntry, CreditPayment
from credit.selectors import BUCKETS, ageing_by_customer, customer_statement
from credit.services import (
    AdjustmentAlreadyRecorded,
    PaymentAlreadyRecorded,
    credit_adjust,
    credit_limit_set,
    credit_payment_receive,
)
from customers.models import Customer
from sales.selectors import DOCUMENT_DATETIME_FORMAT


def _kes(amount) -> str:
    return f"KES {amount:,.2f}"


class CustomerCreditMixin:
    """The customer the page is about. Read lazily, so the permission check (in dispatch) comes
    first and a stranger learns nothing from a 404."""

    @cached_property
    def customer(self) -> Customer:
        return get_object_or_404(Customer.objects.select_related("group"), pk=self.kwargs["pk"])

    @property
    def credit_url(self) -> str:
        return reverse("credit:customer_credit", args=[self.kwargs["pk"]])


class CustomerCreditView(StaffPermissionRequiredMixin, CustomerCreditMixin, TemplateView):
    """Credit Balance: what the customer owes, may owe, how old it is, and every change."""

    permission_required = "credit.view_creditentry"
    template_name = "credit/customer_credit.html"
    entries_per_page = 25

    def get_context_data(self, **kwargs):
        customer = self.customer
        today = timezone.localdate()
        ageing = ageing_by_customer(today, customers=Customer.objects.filter(pk=customer.pk)).get(
            customer.pk
        )
        ledger = (
            CreditEntry.objects.filter(customer=customer)
            .select_related("created_by", "sale", "payment")
            .order_by("-created_at", "-pk")
        )
        page = Paginator(ledger, self.entries_per_page).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            customer=customer,
            ageing=ageing,
            buckets=[
                {"name": name, "label": label, "amount": ageing.bucket(name) if ageing else 0}
                for name, label in BUCKETS
            ],
            page_obj=page,
            entries=page.object_list,
            **kwargs,
        )


class CustomerCreditFormView(CustomerCreditMixin, ServiceFormView):
    """A form about one customer's credit whose valid data goes to a credit service.

    A service refusal shows on the field it is about (by its code) or above the form; nothing is
    written. Subclasses define `save(form)` and `success_message_for(saved)`.
    """

    template_name = "credit/credit_form.html"
    error_fields: dict[str, str] = {}  # a refusal's code -> the field it is about

    def get_context_data(self, **kwargs):
        kwargs.setdefault("customer", self.customer)
        kwargs.setdefault("cancel_url", self.credit_url)
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            saved = self.save(form)
        except ValidationError as refusal:
            self.show_refusal(form, refusal)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message_for(saved))
        return redirect(self.success_url_for(saved))

    def show_refusal(self, form, refusal: ValidationError) -> None:
        if hasattr(refusal, "error_dict"):
            for field, errors in refusal.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return
        for error in refusal.error_list:
            field = self.error_fields.get(error.code)
            form.add_error(field if field in form.fields else None, error)

    def success_message_for(self, saved) -> str:
        raise NotImplementedError

    def success_url_for(self, saved) -> str:
        return self.credit_url


class PaymentReceiveView(CustomerCreditFormView):
    """Receive Payment: partial or full, Cash or M-Pesa, then its receipt."""

    permission_required = "credit.add_creditpayment"
    form_class = PaymentReceiveForm
    template_name = "credit/payment_form.html"
    error_fields = {
        "amount": "amount",
        "more_than_owed": "amount",
        "method": "method",
        "mpesa_code": "mpesa_code",
        "mpesa_code_used": "mpesa_code",
    }

    def get(self, request, *args, **kwargs):
        if self.customer.credit_balance <= 0:
            messages.info(
                request, _("%(name)s owes nothing on credit.") % {"name": self.customer.name}
            )
            return redirect(self.credit_url)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except PaymentAlreadyRecorded as already:
            messages.info(
                self.request, _("This payment was already recorded; here is its receipt.")
            )
            return redirect(already.payment)

    def save(self, form):
        data = form.cleaned_data
        return credit_payment_receive(
            actor=self.request.user,
            customer=self.customer,
            amount=data["amount"],
            method=data["method"],
            mpesa_code=data["mpesa_code"],
            form_token=data["form_token"],
        )

    def success_message_for(self, payment) -> str:
        return _("Payment of %(amount)s received from %(name)s. Balance now %(balance)s.") % {
            "amount": _kes(payment.amount),
            "name": self.customer.name,
            "balance": _kes(payment.balance_after),
        }

    def success_url_for(self, payment) -> str:
        return payment.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Receive payment from %(name)s") % {"name": self.customer.name},
            submit_label=_("Receive Payment"),
            **kwargs,
        )


class PaymentReceiptView(StaffPermissionRequiredMixin, TemplateView):
    """The repayment receipt, laid out for an 80 mm thermal roll like a sale's."""

    permission_required = "credit.view_creditpayment"
    template_name = "credit/payment_receipt.html"

    def get_context_data(self, **kwargs):
        payment = get_object_or_404(
            CreditPayment.objects.select_related("customer", "received_by"), pk=self.kwargs["pk"]
        )
        return super().get_context_data(
            payment=payment, datetime_format=DOCUMENT_DATETIME_FORMAT, **kwargs
        )


class CreditAdjustView(CustomerCreditFormView):
    """A manager's correction of what the customer owes, up or down, with a reason."""

    permission_required = "credit.adjust_credit"
    form_class = CreditAdjustForm
    error_fields = {"amount": "amount", "below_zero": "amount", "reason": "reason"}

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except AdjustmentAlreadyRecorded:
            messages.info(self.request, _("This adjustment was already recorded."))
            return redirect(self.credit_url)

    def save(self, form):
        return credit_adjust(
            actor=self.request.user,
            customer=self.customer,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            form_token=form.cleaned_data["form_token"],
        )

    def success_message_for(self, entry) -> str:
        return _("Adjustment of %(amount)s recorded for %(name)s. Balance now %(balance)s.") % {
            "amount": f"{'+' if entry.amount > 0 else '-'}{_kes(abs(entry.amount))}",
            "name": self.customer.name,
            "balance": _kes(entry.balance_after),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Adjust the credit balance of %(name)s") % {"name": self.customer.name},
            submit_label=_("Record adjustment"),
            **kwargs,
        )


class CreditLimitView(CustomerCreditFormView):
    """Set how much the customer may owe; the page shows who changed it before, when, from what."""

    permission_required = "customers.set_credit_limit"
    form_class = CreditLimitForm
    template_name = "credit/credit_limit_form.html"

    def get_initial(self):
        return {"credit_limit": self.customer.credit_limit}

    def save(self, form):
        return credit_limit_set(
            actor=self.request.user,
            customer=self.customer,
            credit_limit=form.cleaned_data["credit_limit"],
        )

    def success_message_for(self, customer) -> str:
        return _("Credit limit of %(name)s set to %(limit)s.") % {
            "name": customer.name,
            "limit": _kes(customer.credit_limit),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=_("Credit limit of %(name)s") % {"name": self.customer.name},
            submit_label=_("Set credit limit"),
            limit_history=_credit_limit_history(self.customer),
            **kwargs,
        )


class CustomerStatementView(StaffPermissionRequiredMixin, CustomerCreditMixin, TemplateView):
    """The customer's account for a period, as an A4 page to print or hand over."""

    permission_required = "credit.view_creditentry"
    template_name = "credit/statement.html"

    def get_context_data(self, **kwargs):
        asked = any(name in self.request.GET for name in ("start", "end"))
        defaults = StatementPeriodForm.default_period()
        form = StatementPeriodForm(self.request.GET if asked else None, initial=defaults)
        if not asked:
            period = defaults
        elif form.is_valid():
            period = form.cleaned_data
        else:
            period = None  # the form says what is wrong; no figures for a period that is not one
        statement = (
            customer_statement(self.customer, period["start"], period["end"]) if period else None
        )
        for line in statement["lines"] if statement else []:
            # The printed statement has a column for each direction, both positive.
            amount = line["entry"].amount
            line["charged"] = amount if amount > 0 else None
            line["credited"] = -amount if amount < 0 else None
        return super().get_context_data(
            customer=self.customer,
            form=form,
            statement=statement,
            printed_at=timezone.now(),
            datetime_format=DOCUMENT_DATETIME_FORMAT,
            **kwargs,
        )


def _credit_limit_history(customer: Customer, *, limit: int = 50) -> list[dict]:
    """Each change of the credit limit, latest first: when, who, old and new limit.

    Read from the customer's change history (simple-history), where credit_limit_set records
    it; the other fields' changes are left out.
    """
    records = customer.history.select_related("history_user").order_by("history_date", "history_id")
    changes, previous = [], None
    for record in records.only("credit_limit", "history_date", "history_user", "history_type"):
        if record.history_type == "-":
            continue
        current = to_money(record.credit_limit)
        if previous is None and current == 0:
            previous = current  # created without credit: not a change of limit
            continue
        if current != previous:
            changes.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "old": previous,
                    "new": current,
                }
            )
        previous = current
    return changes[::-1][:limit]
