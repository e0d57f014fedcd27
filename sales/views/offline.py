"""The till without the link (issue 18), the server's side: the product list and the service
worker the browser keeps, the endpoint its queue of offline sales is sent to (one sale per
request, JSON in and out), and the managers' list of the sales it refused.

The browser side (static/js/till_sw.js and the till's queue) is written against the answers
documented on TillOfflineSaleView.
"""

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.functional import cached_property
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from core.errors import database_unavailable_json
from core.views import FilteredTableView, StaffPermissionRequiredMixin
from sales import services
from sales.filters import OfflineRefusalFilterSet
from sales.forms import OfflineRefusalDealForm
from sales.models import OfflineSaleRefusal
from sales.offline import MAX_BODY_BYTES, OfflineSaleInvalid, offline_payload_from_body
from sales.selectors import offline_refusal_list_queryset, products_for_offline_till
from sales.tables import OfflineRefusalTable

PRODUCT_COLUMNS = ["id", "code", "name", "retail_price", "wholesale_price"]
# Which column of a product row holds each price list's price (sales.models.PriceList).
PRICE_LIST_COLUMNS = {"retail": 3, "wholesale": 4}
SERVICE_WORKER = "js/till_sw.js"


class JsonPermissionMixin(StaffPermissionRequiredMixin):
    """A signed-in user without the permission gets a 403 the browser can read (JSON with a
    message); anonymous users are still sent to the login page (LoginRequiredMiddleware)."""

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            return JsonResponse(
                {
                    "status": "forbidden",
                    "message": _("You may not sell at the till: ask a manager."),
                },
                status=403,
            )
        return super().handle_no_permission()


def _with_etag(request, response: HttpResponse, content: bytes) -> HttpResponse:
    """`response` revalidated by its content's hash: the browser asks each time (no-cache) and
    gets 304, a few bytes, when nothing changed, which matters on slow mobile data."""
    etag = quote_etag(hashlib.sha256(content).hexdigest()[:32])
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return get_conditional_response(request, etag=etag, response=response)


class TillProductsView(JsonPermissionMixin, View):
    """GET /till/products.json: every product on sale, compact, for the till to sell offline.

    {"generated_at": "<ISO 8601, UTC>", "columns": [...], "price_lists": {"retail": 3,
    "wholesale": 4}, "products": [[id, code, name, "retail", "wholesale"], ...]} by name.
    """

    permission_required = "sales.add_sale"

    def get(self, request):
        products = [
            [pk, code, name, f"{retail:.2f}", f"{wholesale:.2f}"]
            for pk, code, name, retail, wholesale in products_for_offline_till()
        ]
        dumped = json.dumps(products, ensure_ascii=False, separators=(",", ":")).encode()
        body = {
            "generated_at": timezone.now().isoformat(),
            "columns": PRODUCT_COLUMNS,
            "price_lists": PRICE_LIST_COLUMNS,
            "products": products,
        }
        response = JsonResponse(
            body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")}
        )
        return _with_etag(request, response, dumped)


class TillServiceWorkerView(StaffPermissionRequiredMixin, View):
    """GET /till/sw.js: the till's service worker, served from /till/ so its scope covers the
    till. Read from the static source folders (the file as it is in the tree: an edit shows at
    once in development) and, where a deployment ships only collected files, from STATIC_ROOT
    (collectstatic keeps the unhashed name there too)."""

    permission_required = "sales.add_sale"

    def get(self, request):
        found = finders.find(SERVICE_WORKER)
        path = Path(found) if found else Path(settings.STATIC_ROOT) / SERVICE_WORKER
        try:
            content = path.read_bytes()
        except OSError as error:
            raise Http404(_("The till's service worker is not installed.")) from error
        response = HttpResponse(content, content_type="application/javascript; charset=utf-8")
        response["Service-Worker-Allowed"] = "/till/"
        return _with_etag(request, response, content)


class TillOfflineSaleView(JsonPermissionMixin, View):
    """POST /till/offline-sales/: one sale from the till's offline queue (sales.offline has
    its shape), recorded once by its till token through sales.services.offline_sale_record.

    Answers, always JSON with a `message` the till shows as it is:
    201 recorded / 200 already_recorded: {"status", "till_token", "sale", "receipt_number",
        "receipt_url", "message"};
    422 refused (the shop's rules said no; kept for a manager) and 400 refused (not a sale
        this endpoint can read): {"status": "refused", "till_token", "code", "message"};
        final: sending it again gives the same answer;
    503 unavailable (the database is away): {"status": "unavailable", "message"}, keep it
        queued and send it again;
    403 forbidden (no permission): {"status": "forbidden", "message"}.
    """

    permission_required = "sales.add_sale"

    def post(self, request):
        try:
            return self._answer(self._payload(request))
        except OfflineSaleInvalid as invalid:
            return _refused(invalid.message, invalid.code, invalid.till_token, status=400)
        except (OperationalError, InterfaceError):
            # In the view as well as core/errors.py: whatever the browser's Accept header says.
            return database_unavailable_json()

    def _payload(self, request) -> dict:
        too_large = _("This sale is too large to be one from the till.")
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if size > MAX_BODY_BYTES:
            raise OfflineSaleInvalid(too_large)  # refused unread
        try:
            body = request.body
        except RequestDataTooBig as error:
            raise OfflineSaleInvalid(too_large) from error
        return offline_payload_from_body(body)

    def _answer(self, payload: dict) -> JsonResponse:
        answer = services.offline_sale_record(cashier=self.request.user, payload=payload)
        if answer.status == "refused":
            refusal = answer.refusal
            status = 400 if refusal.code == "invalid" else 422
            return _refused(answer.message, refusal.code, refusal.till_token, status=status)
        sale = answer.sale
        response = JsonResponse(
            {
                "status": answer.status,
                "till_token": str(sale.till_token),
                "sale": sale.pk,
                "receipt_number": str(sale.pk),  # what the receipt prints as Sale No.
                "receipt_url": reverse("sales:sale_receipt", args=[sale.pk]),
                "message": answer.message,
            },
            status=201 if answer.status == "recorded" else 200,
        )
        response["Cache-Control"] = "no-store"
        return response


def _refused(message: str, code: str, till_token, *, status: int) -> JsonResponse:
    response = JsonResponse(
        {
            "status": "refused",
            "till_token": str(till_token) if till_token else None,
            "code": code,
            "message": message,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


# --- the managers' list -------------------------------------------------------------------


class OfflineRefusalListView(FilteredTableView):
    permission_required = "sales.view_offlinesalerefusal"
    filterset_class = OfflineRefusalFilterSet
    table_class = OfflineRefusalTable
    template_name = "sales/offline_refusal_list.html"

    def get_queryset(self):
        return offline_refusal_list_queryset()

    def get_table_kwargs(self):
        return {
            **super().get_table_kwargs(),
            "can_deal": self.request.user.has_perm("sales.deal_with_offlinesalerefusal"),
        }


class OfflineRefusalDealView(StaffPermissionRequiredMixin, FormView):
    """GET asks what was done; POST marks the refusal dealt with
    (sales.services.offline_refusal_deal)."""

    permission_required = "sales.deal_with_offlinesalerefusal"
    form_class = OfflineRefusalDealForm
    template_name = "sales/offline_refusal_deal.html"

    @cached_property
    def refusal(self) -> OfflineSaleRefusal:
        # Read after the permission check (dispatch), so a stranger learns nothing from a 404.
        return get_object_or_404(offline_refusal_list_queryset(), pk=self.kwargs["pk"])

    def list_url(self) -> str:
        return reverse("sales:offline_refusal_list") + "?status=waiting"

    def get(self, request, *args, **kwargs):
        if self.refusal.is_dealt_with:
            messages.info(request, _("This refused sale was already dealt with."))
            return redirect(self.list_url())
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(refusal=self.refusal, list_url=self.list_url(), **kwargs)

    def form_valid(self, form):
        try:
            services.offline_refusal_deal(
                actor=self.request.user, refusal=self.refusal, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        messages.success(self.request, _("The refused sale is marked as dealt with."))
        return redirect(self.list_url())
