"""The credit reports: per-customer balances and ageing, the ageing summary, payment history and
the SMS reminders file. Every figure comes from credit.selectors and can be asked "as of" a day.
"""

from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import CharField, Count, F, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from core.charts import BUCKET_COLOURS, Chart
from core.export import stream_resource_csv
from core.models import AuditEvent
from core.money import ZERO
from core.views import FilteredExportView, FilteredTableView, StaffPermissionRequiredMixin
from credit.models import CreditPayment
from credit.selectors import ageing_summary, customers_owing_as_of, outstanding_total
from reports.filters import (
    ActivityCustomerFilterSet,
    AsOfForm,
    AuditEventFilterSet,
    CreditPaymentFilterSet,
    CreditReportFilterSet,
    ReportPeriodForm,
    requested_as_of,
)
from reports.resources import (
    ActivityClusterResource,
    ActivityCustomerResource,
    CreditAgeingResource,
    CreditPaymentResource,
    CreditReportResource,
    CreditSmsReminderResource,
    VipResource,
)
from reports.selectors import (
    AgeingForExport,
    ReportPeriod,
    VipRanking,
    activity_by_cluster,
    activity_totals,
    attach_ageing,
    dashboard_figures,
    first_sale_day,
    revenue_by_month,
    sms_reminder_customers,
    vip_summary,
)
from reports.tables import (
    ActivityCustomerTable,
    AuditEventTable,
    CreditPaymentTable,
    CreditReportTable,
)
from sales.models import CustomerSalesTotal, SalesPeriod


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
        # The records, not the BoundRows: each BoundRow made moves the table's even/odd counter,
        # and the rows written afterwards would start striped "odd" after an odd-sized page.
        attach_ageing(list(table.page.object_list.data), self.as_of)
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


# --- report periods (VIP, activity): a calendar month or year ---


def report_period_form(request, *, default: str) -> ReportPeriodForm:
    value = request.GET.get("period", "")
    return ReportPeriodForm(
        {"period": value} if value else None, first_sale_day=first_sale_day(), default=default
    )


def period_label(period: ReportPeriod) -> str:
    if period.kind == SalesPeriod.YEAR:
        return f"{period.starts_on:%Y}"
    return date_format(period.starts_on, "F Y")


# --- VIP ---

VIP_PAGE_SIZE = 50


class VipReportMixin(StaffPermissionRequiredMixin):
    """The period form and the summary it asks for (None while the form is refused)."""

    permission_required = ("sales.view_sale", "customers.change_customer")

    @cached_property
    def period_form(self) -> ReportPeriodForm:
        return report_period_form(self.request, default=SalesPeriod.YEAR)

    @cached_property
    def summary(self) -> dict | None:
        period = self.period_form.chosen_period()
        return vip_summary(period) if period else None


class VipReportView(VipReportMixin, TemplateView):
    """Customers ranked by revenue over a year or a month: the top 20 %'s share in words, the
    Pareto curve as a chart and the ranked customers as a table, 50 a page."""

    template_name = "reports/vip.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = self.summary
        context.update(form=self.period_form, ranking=summary, chart=None, page_obj=None)
        if summary:
            context["period_query"] = urlencode({"period": summary["period"].value})
            if summary["customers"]:
                paginator = Paginator(VipRanking(summary), VIP_PAGE_SIZE)
                context["page_obj"] = paginator.get_page(self.request.GET.get("page"))
                context["chart"] = vip_chart(summary)
        return context


class VipExportView(VipReportMixin, View):
    """Every ranked customer of the period as CSV, streamed in rank order (only the header for
    a refused period)."""

    def get(self, request, *args, **kwargs):
        summary = self.summary
        if not summary:
            return stream_resource_csv(VipResource(), [], "vip")
        return stream_resource_csv(
            VipResource(), VipRanking(summary), f"vip-{summary['period'].value}"
        )


def _share_label(rank: int, customers: int) -> str:
    share = Decimal(rank * 100) / customers
    return f"{share:.0f}%" if share == share.to_integral_value() else f"{share:.1f}%"


def vip_chart(summary: dict) -> Chart:
    """The Pareto curve: cumulative share of revenue against the share of customers, ranked."""
    customers = summary["customers"]
    curve = summary["curve"]
    chart = Chart(
        element_id="vip",
        kind="line",
        title=_("Share of revenue (up) brought by the best customers (across), %(period)s")
        % {"period": period_label(summary["period"])},
        labels=["0%", *(_share_label(rank, customers) for rank in curve["ranks"])],
        percent=True,
    )
    return chart.add_series(_("Cumulative share of revenue"), [0, *curve["shares"]])


# --- activity ---
# Activity by cluster and by customer over a month or a year (reports.selectors, "activity").
# Managers only, as the dashboard: the shop's takings are not a cashier's to read.

ACTIVITY_PERMISSIONS = ("sales.view_sale", "customers.change_customer")


class ActivityByClusterMixin:
    @cached_property
    def period_form(self) -> ReportPeriodForm:
        return report_period_form(self.request, default=SalesPeriod.MONTH)

    @cached_property
    def activity(self) -> dict | None:
        """The figures, or None while the period is refused."""
        period = self.period_form.chosen_period()
        return activity_by_cluster(period) if period else None


class ActivityByClusterView(ActivityByClusterMixin, StaffPermissionRequiredMixin, TemplateView):
    permission_required = ACTIVITY_PERMISSIONS
    template_name = "reports/activity_clusters.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        activity = self.activity
        chart = None
        if activity:
            chart = Chart(
                element_id="activity-clusters",
                kind="bar",
                title=_("Revenue by cluster, %(period)s")
                % {"period": period_label(activity["period"])},
                labels=[row["label"] for row in activity["clusters"]],
                money=True,
            ).add_series(_("Revenue"), [row["revenue"] for row in activity["clusters"]])
            context["period_label"] = period_label(activity["period"])
        context.update(form=self.period_form, activity=activity, chart=chart)
        return context


class ActivityByClusterExportView(ActivityByClusterMixin, StaffPermissionRequiredMixin, View):
    permission_required = ACTIVITY_PERMISSIONS

    def get(self, request, *args, **kwargs):
        rows, stem = [], "activity-clusters"
        if self.activity:
            activity = self.activity
            rows = [*activity["clusters"], activity["walk_in"], activity["total"]]
            stem = f"activity-clusters-{activity['period'].value}"
        return stream_resource_csv(ActivityClusterResource(), rows, stem)


class ActivityByCustomerView(FilteredTableView):
    """The customers who visited in the period, filtered by cluster, best revenue first; the
    totals and the monthly trend of the same customers beside them (reports.selectors)."""

    permission_required = ACTIVITY_PERMISSIONS
    template_name = "reports/activity_customers.html"
    filterset_class = ActivityCustomerFilterSet
    table_class = ActivityCustomerTable

    def get_queryset(self):
        return CustomerSalesTotal.objects.none()  # the filterset reads the chosen period's

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["data"] = self.request.GET  # bound even when empty: the default period applies
        kwargs["first_sale_day"] = first_sale_day()
        return kwargs

    def get_table_data(self):
        if not self.filterset.is_valid():
            self.object_list = CustomerSalesTotal.objects.none()
        return super().get_table_data()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(totals=None, chart=None, trend=None)
        if not self.filterset.is_valid():
            return context
        period = self.filterset.chosen_period
        cluster = self.filterset.chosen_cluster
        trend = revenue_by_month(period, cluster)
        for row in trend:
            row["label"] = date_format(row["when"], "M Y")
        chart = Chart(
            element_id="activity-trend",
            kind="line",
            title=_("Customers' revenue per month, the 12 months to the end of %(period)s")
            % {"period": period_label(period)},
            labels=[row["label"] for row in trend],
            money=True,
        ).add_series(_("Revenue"), [row["revenue"] for row in trend])
        context.update(
            period=period,
            period_label=period_label(period),
            cluster=cluster,
            totals=activity_totals(period, cluster),
            chart=chart,
            trend=trend,
        )
        return context


class ActivityByCustomerExportView(ActivityByCustomerView, FilteredExportView):
    """The activity by customer as filtered and sorted on screen, every page."""

    permission_required = ACTIVITY_PERMISSIONS
    export_filename = "activity-customers"
    resource_class = ActivityCustomerResource

    def get(self, request, *args, **kwargs):
        self.filterset = self.get_filterset(self.get_filterset_class())
        return super().get(request, *args, **kwargs)


class AuditLogView(FilteredTableView):
    """The audit log: every money change, customer change or deletion, export and import, with
    who did it and when (core.audit), newest first, by day, kind and member of staff."""

    permission_required = "core.view_auditevent"
    filterset_class = AuditEventFilterSet
    table_class = AuditEventTable
    template_name = "reports/audit_log.html"

    def get_queryset(self):
        return AuditEvent.objects.all()
