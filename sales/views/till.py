"""The till page: a cashier builds a cart, picks or adds a customer, takes payment, completes.

Every button posts the whole till form (its `action` says what to do) and the page comes back
with the cart re-priced; htmx swaps just the till, plain HTML reloads the page. Search boxes ask
the two search views for suggestions as the cashier types.
"""

from decimal import InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import HttpResponseClientRedirect

from core.forms import id_or_none
from core.html import without_indentation
from core.money import to_money
from core.mpesa import normalise_mpesa_code
from core.views import StaffPermissionRequiredMixin
from credit.services import CreditLimitExceeded
from customers.forms import QuickCustomerForm
from customers.models import Customer
from customers.selectors import customer_suggestions
from customers.services import customer_create
from sales.models import PaymentMethod
from sales.selectors import product_by_code, product_on_sale, products_for_till
from sales.services import SaleAlreadyRecorded, sale_complete
from sales.till import TillCart, customer_or_none

# One key each for the payment methods (shown on the buttons; static/js/till.js). Function keys,
# because the cursor is nearly always in a box where a letter would be typed; F8-F10 are not
# taken by Chromium or Firefox for anything a cashier needs.
PAYMENT_KEYS = {PaymentMethod.CASH: "F8", PaymentMethod.MPESA: "F9", PaymentMethod.CREDIT: "F10"}


class TillView(StaffPermissionRequiredMixin, View):
    permission_required = "sales.add_sale"
    template_name = "sales/till.html"
    partial_template_name = "sales/_till.html"

    def get(self, request):
        cart = TillCart.empty()
        return self.render(cart, payment={"payment_method": PaymentMethod.CASH})

    def post(self, request):
        cart = TillCart.from_post(request.POST)
        payment = {
            "payment_method": request.POST.get("payment_method", PaymentMethod.CASH),
            "cash_tendered": request.POST.get("cash_tendered", "").strip(),
            "mpesa_code": request.POST.get("mpesa_code", "").strip(),
        }
        if payment["payment_method"] not in PaymentMethod.values:
            payment["payment_method"] = PaymentMethod.CASH
        self.page = {"errors": list(cart.problems), "focus": "product_query"}
        action, _sep, argument = request.POST.get("action", "update").partition(":")
        handler = getattr(self, f"action_{action}", None)
        if handler is None:
            handler = self.action_update
        response = handler(cart, payment, argument)
        if response is not None:
            return response
        return self.render(cart, payment)

    # --- actions: each changes the cart or records the sale -------------------------------

    def action_update(self, cart, payment, argument):
        """Re-price after a quantity changed (or on "Update" without JavaScript)."""

    def action_add_product(self, cart, payment, argument):
        product_id = id_or_none(argument)
        if product_id is not None:
            product = product_on_sale(product_id)
            if product is None:
                self.page["errors"].append(_("That product is no longer on sale."))
                return
            cart.add(product)
            return
        query = self.request.POST.get("product_query", "").strip()
        if not query:
            return
        product = product_by_code(query)
        if product is None:
            matches = products_for_till(query)
            if len(matches) == 1:
                product = matches[0]
            elif matches:
                self.page["product_query"] = query
                self.page["product_matches"] = matches
                self.page["notice"] = _("Several products match “%(query)s”: pick one.") % {
                    "query": query
                }
                return
            else:
                self.page["product_query"] = query
                self.page["errors"].append(
                    _("No product on sale matches “%(query)s”.") % {"query": query}
                )
                return
        cart.add(product)

    def action_remove(self, cart, payment, argument):
        # A line's place in the cart, from 0; ASCII digits only (not "²", which isdigit() takes).
        if argument.isascii() and argument.isdigit():
            cart.remove(int(argument))

    def action_find_customer(self, cart, payment, argument):
        """Enter in the customer box (or "Find" without JavaScript): the one customer who
        matches is chosen at once; several are listed to pick from."""
        query = self.request.POST.get("customer_query", "").strip()
        matches = customer_suggestions(query) if query else []
        if len(matches) == 1:
            cart.customer = matches[0]  # read with its group, for the prices
            return
        self.page["focus"] = "customer_query"
        self.page["customer_query"] = query
        self.page["customer_matches"] = matches
        if query and not self.page["customer_matches"]:
            self.page["errors"].append(
                _("No customer matches “%(query)s”. Add them with “Add Customer”.")
                % {"query": query}
            )

    def action_choose_customer(self, cart, payment, argument):
        customer = customer_or_none(argument)
        if customer is None:
            self.page["errors"].append(_("That customer no longer exists."))
            return
        cart.customer = customer

    def action_clear_customer(self, cart, payment, argument):
        cart.customer = None
        if payment["payment_method"] == PaymentMethod.CREDIT:
            payment["payment_method"] = PaymentMethod.CASH

    def action_quick_add_customer(self, cart, payment, argument):
        if not self.request.user.has_perm("customers.add_customer"):
            self.page["errors"].append(_("You may not add customers."))
            return
        form = QuickCustomerForm(self.request.POST, prefix="new_customer")
        self.page["quick_customer_form"] = form
        self.page["focus"] = "new_customer-name"
        if not form.is_valid():
            self.page["existing_customer"] = getattr(form, "existing_customer", None)
            return
        try:
            customer = customer_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return
        cart.customer = Customer.objects.select_related("group").get(pk=customer.pk)
        self.page["quick_customer_form"] = None
        self.page["notice"] = _("Customer %(name)s added.") % {"name": customer.name}

    def action_new_sale(self, cart, payment, argument):
        return self._redirect(reverse("sales:till"))

    def action_complete(self, cart, payment, argument):
        cart.price()
        self.page["focus"] = "complete"
        problems = cart.line_errors()
        if problems:
            self.page["errors"].extend(problems)
            return
        if cart.token_was_missing or self.page["errors"]:
            self.page["errors"].append(
                _("This till form is out of date. Check the cart and complete the sale again.")
            )
            return
        quoted_total = cart.quoted_total
        if quoted_total is None:
            self.page["errors"].append(
                _("The cart changed: check the new total and complete the sale again.")
            )
            return
        try:
            sale = sale_complete(
                cashier=self.request.user,
                lines=cart.sale_lines(),
                customer=cart.customer,
                payment_method=payment["payment_method"],
                cash_tendered=_amount_or_text(payment["cash_tendered"]),
                mpesa_code=payment["mpesa_code"],
                till_token=cart.token,
                expected_total=quoted_total,
            )
        except SaleAlreadyRecorded as already:
            messages.info(self.request, _("This sale was already recorded; here is its receipt."))
            return self._redirect_to_receipt(already.sale)
        except CreditLimitExceeded as refusal:
            self.page["credit_refusal"] = refusal
            self.page["errors"].append(refusal.messages[0])
            return
        except ValidationError as error:
            self.page["errors"].extend(error.messages)
            if payment["payment_method"] == PaymentMethod.MPESA:
                self.page["focus"] = "mpesa_code"
            elif payment["payment_method"] == PaymentMethod.CASH:
                self.page["focus"] = "cash_tendered"
            return
        messages.success(self.request, _("Sale %(number)s recorded.") % {"number": sale.pk})
        return self._redirect_to_receipt(sale)

    # --- rendering ------------------------------------------------------------------------

    def render(self, cart: TillCart, payment: dict):
        cart.price()
        page = getattr(self, "page", {"errors": [], "focus": "product_query"})
        if payment.get("mpesa_code"):
            payment["mpesa_code"] = normalise_mpesa_code(payment["mpesa_code"])
        customer = cart.customer
        context = {
            "cart": cart,
            "payment": payment,
            "payment_methods": [
                (value, label, PAYMENT_KEYS[value]) for value, label in PaymentMethod.choices
            ],
            "quick_customer_form": page.get("quick_customer_form")
            or QuickCustomerForm(prefix="new_customer"),
            "quick_add_open": page.get("quick_customer_form") is not None,
            "change_due": _change_due(payment.get("cash_tendered"), cart.total),
            # For the script's own check of a line while offline (the service has the last word).
            "max_line_quantity": settings.TILL_MAX_LINE_QUANTITY,
            "credit_shortfall": (
                customer.credit_balance + cart.total - customer.credit_limit
                if customer is not None
                and customer.credit_balance + cart.total > customer.credit_limit
                else None
            ),
            **page,
        }
        if self.request.htmx:
            response = render(self.request, self.partial_template_name, context)
        else:
            response = render(
                self.request, self.template_name, {**context, "till_texts": till_texts()}
            )
        # Every step of a sale sends the till back: about 250 bytes smaller compressed so.
        return without_indentation(response)

    def _redirect(self, url: str):
        # htmx would swap a redirect's page into the till; tell it to load the page instead.
        return HttpResponseClientRedirect(url) if self.request.htmx else redirect(url)

    def _redirect_to_receipt(self, sale):
        return self._redirect(reverse("sales:sale_receipt", args=[sale.pk]))


class TillProductSearchView(StaffPermissionRequiredMixin, TemplateView):
    """Suggestions under the product box as the cashier types (name or code)."""

    permission_required = "sales.add_sale"
    template_name = "sales/_till_product_matches.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("product_query", "").strip()
        return super().get_context_data(
            product_query=query, product_matches=products_for_till(query), **kwargs
        )


class TillCustomerSearchView(StaffPermissionRequiredMixin, TemplateView):
    """Suggestions under the customer box: name, or a phone typed in any format."""

    permission_required = ("sales.add_sale", "customers.view_customer")
    template_name = "sales/_till_customer_matches.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("customer_query", "").strip()
        return super().get_context_data(
            customer_query=query, customer_matches=customer_suggestions(query), **kwargs
        )


def till_texts() -> dict[str, str]:
    """What the till's script says by itself: when an answer does not come, and offline.

    Each says whether the sale is recorded. `{name}`-style fields are filled in by the script.
    """
    return {
        "complete_network": _(
            "Not recorded yet: the connection dropped before the server answered. Press "
            "Complete again when the link is back; a sale is recorded only once."
        ),
        "complete_network_queued": _(
            "Not recorded yet: the connection dropped. The sale is kept on this till and will be "
            "sent when the link is back. Pressing Complete again is safe: it is recorded only "
            "once."
        ),
        "complete_network_credit": _(
            "Not recorded: the connection dropped, and a credit sale needs the connection. The "
            "cart is kept: press Complete again when the link is back."
        ),
        "complete_unavailable": _(
            "Not recorded: the shop's database is not answering. The cart is kept: press "
            "Complete again in a moment."
        ),
        "complete_gateway": _(
            "No answer from the server (error {status}): the sale may not be recorded. The cart "
            "is kept: press Complete again; a sale is recorded only once."
        ),
        "complete_server_error": _(
            "Not recorded: something went wrong on the server (error {status}). The cart is "
            "kept: press Complete again; if it keeps failing, tell the manager."
        ),
        "step_network": _(
            "The connection dropped: that step did not reach the server. The cart is kept, and "
            "the till goes on offline for cash and M-Pesa sales."
        ),
        "step_timeout": _("The server is taking too long to answer. The cart is kept: try again."),
        "step_unavailable": _(
            "The shop's database is not answering; nothing changed. The cart is kept: try again "
            "in a moment."
        ),
        "step_server_error": _(
            "Something went wrong on the server (error {status}); nothing changed. The cart is "
            "kept: try again."
        ),
        "forbidden": _(
            "The server refused this till page (it may be out of date, or you were logged "
            "out). Nothing was recorded. Reload the till."
        ),
        "logged_out": _(
            "You have been logged out. Nothing was recorded: log in again, then sell the cart "
            "again."
        ),
        "offline": _(
            "Offline: the till goes on without the connection. Cash and M-Pesa sales are kept "
            "on this device and sent when the link is back. Credit needs the connection."
        ),
        "offline_credit": _("Credit needs the connection: it cannot be given offline."),
        "offline_customer": _(
            "Finding or choosing a customer needs the connection; a customer chosen before the "
            "link dropped stays on the sale."
        ),
        "offline_quick_add": _("Adding a customer needs the connection."),
        "offline_no_product": _("No product matches “{query}” in the till's saved price list."),
        "offline_no_price_list": _(
            "The till has no saved price list yet: it needs the connection once."
        ),
        "offline_recorded_here": _(
            "Kept on this device, not yet in the shop's books: it is sent when the link is "
            "back. Give the customer this provisional receipt."
        ),
        "quantity_of": _("Quantity of {name}"),
        "remove_name": _("Remove {name}"),
        "quantity_invalid": _("Enter the quantity as a number more than zero."),
        "quantity_too_large": _("Quantity {quantity} looks wrong: check it."),
        "empty_cart": _("The cart is empty: add a product first."),
        "empty_cart_hint": _("The cart is empty. Scan a barcode or type a product name."),
        "cash_missing": _("Enter the cash tendered."),
        "cash_invalid": _("Enter the cash tendered as an amount."),
        "cash_short": _("Cash tendered KES {tendered} is less than the total KES {total}."),
        "mpesa_invalid": _("An M-Pesa code is 10 letters and digits, e.g. NLJ7RT61SV."),
        "mpesa_in_queue": _("M-Pesa code {code} is already on another sale kept on this till."),
        "walk_in": _("Walk-in"),
        "walk_in_offline": _("Walk-in sale (no customer)."),
        "queue_waiting": _("Waiting to be sent"),
        "queue_recorded": _("Recorded as sale {number}"),
        "queue_other_cashier": _("Waiting for {name} to log in on this till to send it"),
        "queue_refused": _("Refused: {reason}"),
        "queue_sent": _("The link is back: {count} sale(s) kept on this till are now recorded."),
        "queue_some_refused": _(
            "{count} sale(s) kept on this till were refused by the server: see why below. A "
            "manager has them in the list of refused offline sales."
        ),
        "queue_unavailable": _(
            "Sales kept on this till could not be sent yet (the server is not answering); "
            "they are tried again in a moment."
        ),
        "queue_logged_out": _(
            "Sales kept on this till wait to be sent: log in again to send them."
        ),
        "queue_storage_error": _(
            "This browser would not read the sales kept on this till. Do not clear its data; "
            "tell the manager."
        ),
    }


def _amount_or_text(value: str):
    """The tendered amount as typed: the service says what is wrong with it if anything is."""
    return value.replace(",", "") if value else None


def _change_due(tendered: str | None, total):
    try:
        amount = to_money((tendered or "").replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        return None  # nothing readable typed yet: no change to show
    return amount - total if amount >= total else None
