"""The credit reports: per-customer balances and ageing, the ageing summary, payment history and
the SMS reminders file. Every figure comes from credit.selectors and can be asked "as of" a day.
"""

from decimal import Decimal

from django.db.models import CharField, Count, F, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from core.charts import BUCKET_COLOURS, Chart
from core.export import stream_resource_csv
from core.money import ZERO
from core.views import FilteredExportView, FilteredTableView, StaffPermissionRequiredMixin
from credit.models import CreditPayment
from credit.selectors import ageing_summary, customers_owing_as_of, outstanding_total
from reports.filters import (
    AsOfForm,
    CreditPaymentFilterSet,
    CreditReportFilterSet,
    requested_as_of,
)
from reports.resources import (
    CreditAgeingResource,
    CreditPaymentResource,
    CreditReportResource,
    CreditSmsReminderResource,
)
from reports.selectors import (
    AgeingForExport,
    attach_ageing,
    dashboard_figures,
    sms_reminder_customers,
)
from reports.tables import CreditPaymentTable, CreditReportTable


class ReportIndexView(StaffPermissionRequiredMixin, TemplateView):
    permission_required = "credit.view_credit_report"
    template_name = "reports/index.html"


class DashboardView(StaffPermissionRequiredMixin, TemplateView):
    """The back office's home for managers and admins: four figures, each linking to its report
    (reports.selectors.dashboard_figures, one bounded query each). Cashiers may view sales but
    not the shop's totals: the dashboard also needs customers.change_customer, as the navbar."""

    permission_required = ("sales.view_sale", "customers.change_customer")
    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["figures"] = dashboard_figures(timezone.localdate())
        return context


class CreditReportView(FilteredTableView):
    """Who owes what as of a day, with the ageing of each customer on the page.

    The database filters, sorts and pages the customers owing (their balance is stored, or for
    a past day summed from the ledger); the ageing, which needs each customer's ledger in FIFO
    order, is computed afterwards for the page's rows only, in one query.
    """

    permission_required = "credit.view_credit_report"
    filterset_class = CreditReportFilterSet
    table_class = CreditReportTable
    template_name = "reports/credit_report.html"

    @cached_property
    def as_of(self):
        return requested_as_of(self.request.GET)

    def get_queryset(self):
        return customers_owing_as_of(self.as_of)

    def filters_are_valid(self) -> bool:
        return not self.filterset.is_bound or self.filterset.is_valid()

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        attach_ageing([row.record for row in table.page.object_list], self.as_of)
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["as_of"] = self.as_of
        # The whole book's total, whatever the filters: the figure the ledger adds up to.
        context["outstanding"] = outstanding_total(self.as_of) if self.filters_are_valid() else None
        return context


class CreditReportExportView(CreditReportView, FilteredExportView):
    """The credit report as filtered and sorted on screen, every page, streamed; the ageing of
    all its customers comes from one pass over their ledger (reports.selectors.AgeingForExport).
    """

    permission_required = "credit.export_credit_report"
    resource_class = CreditReportResource

    def get_sorted_queryset(self):
        # Only the columns the file shows, phone and group as plain text: at 100,000 rows,
        # parsing each stored E.164 number into a PhoneNumber and building each row's group
        # object cost more than a second each.
        return (
            super()
            .get_sorted_queryset()
            .select_related(None)
            .only("name", "village", "credit_limit")
            .annotate(
                phone_e164=Cast("phone", output_field=CharField()),
                group_name=F("group__name"),
            )
        )

    def filters_narrow(self) -> bool:
        """Whether a filter other than the day leaves out some of the customers owing."""
        if not self.filterset.is_bound or not self.filterset.is_valid():
            return False
        chosen = self.filterset.form.cleaned_data
        return any(chosen.get(name) not in (None, "") for name in chosen if name != "as_of")

    def get(self, request, *args, **kwargs):
        self.filterset = self.get_filterset(self.get_filterset_class())
        if self.filters_are_valid():
            self.object_list = self.filterset.qs
        else:
            self.object_list = self.filterset.queryset.none()
        return stream_resource_csv(
            self.resource_class(),
            self.get_sorted_queryset(),
            f"credit-report-{self.as_of:%Y-%m-%d}",
            # Unfiltered, the report is everyone owing: ageing everyone skips the narrowing
            # subquery (0.3 s of 5 at 100,000 customers).
            prepare_chunk=AgeingForExport(
                self.as_of, self.object_list if self.filters_narrow() else None
            ),
        )


class AgeingSummaryMixin:
    """The as-of form and the summary it asks for (None while the form is refused)."""

    @cached_property
    def as_of_form(self) -> AsOfForm:
        return AsOfForm(self.request.GET or None)

    @cached_property
    def as_of(self):
        return requested_as_of(self.request.GET)

    @cached_property
    def summary(self) -> dict | None:
        if self.as_of_form.is_bound and not self.as_of_form.is_valid():
            return None
        return ageing_summary(self.as_of)


class CreditAgeingView(AgeingSummaryMixin, StaffPermissionRequiredMixin, TemplateView):
    permission_required = "credit.view_credit_report"
    template_name = "reports/credit_ageing.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form=self.as_of_form,
            as_of=self.as_of,
            summary=self.summary,
            chart=ageing_chart(self.summary) if self.summary else None,
        )
        return context


class CreditAgeingExportView(AgeingSummaryMixin, StaffPermissionRequiredMixin, View):
    permission_required = "credit.export_credit_report"

    def get(self, request, *args, **kwargs):
        rows = []
        if self.summary is not None:
            rows = [*self.summary["buckets"], ageing_total_row(self.summary)]
        return stream_resource_csv(
            CreditAgeingResource(), rows, f"credit-ageing-{self.as_of:%Y-%m-%d}"
        )


def ageing_total_row(summary: dict) -> dict:
    outstanding = summary["outstanding"]
    return {
        "name": "total",
        "label": _("Total outstanding"),
        "amount": outstanding,
        "share": Decimal(100) if outstanding else ZERO,
        "customers": summary["customers"],
    }


def ageing_chart(summary: dict) -> Chart:
    """The ageing summary as horizontal bars, in the bucket order of the table beside it."""
    chart = Chart(
        element_id="ageing",
        kind="horizontal-bar",
        title=_("Unpaid credit by age as of %(day)s")
        % {"day": date_format(summary["as_of"], "j M Y")},
        labels=[bucket["label"] for bucket in summary["buckets"]],
        money=True,
    )
    return chart.add_series(
        _("Amount"),
        [bucket["amount"] for bucket in summary["buckets"]],
        colours=BUCKET_COLOURS,
    )


class CreditPaymentListView(FilteredTableView):
    """Payments on account, filtered by day, method and who received them, with their totals."""

    permission_required = "credit.view_credit_report"
    filterset_class = CreditPaymentFilterSet
    table_class = CreditPaymentTable
    template_name = "reports/credit_payments.html"

    def get_queryset(self):
        return CreditPayment.objects.select_related("customer", "received_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        totals = self.object_list.aggregate(count=Count("pk"), amount=Sum("amount"))
        context["totals"] = {"count": totals["count"] or 0, "amount": totals["amount"] or ZERO}
        return context


class CreditPaymentExportView(CreditPaymentListView, FilteredExportView):
    """The payment history as filtered and sorted on screen, every page."""

    permission_required = "credit.export_credit_report"
    resource_class = CreditPaymentResource
    export_filename = "credit-payments"


class CreditSmsRemindersView(StaffPermissionRequiredMixin, View):
    """SMS reminders: Send-SMS customers with an overdue balance today, for a bulk-SMS upload."""

    permission_required = "credit.export_credit_report"

    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        return stream_resource_csv(
            CreditSmsReminderResource(), sms_reminder_customers(today), "sms-reminders"
        )
