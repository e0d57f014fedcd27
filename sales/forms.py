"""Input shape only: the views hand cleaned data to sales.services (products and sales)."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import ZERO
from sales.models import Product
from sales.selectors import product_with_code

# --- products -----------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    """A product as the back office edits it; the service upper-cases the code and saves."""

    class Meta:
        model = Product
        fields = ["name", "code", "retail_price", "wholesale_price", "is_active"]
        labels = {"code": _("Code (SKU or barcode)")}
        widgets = {
            "code": forms.TextInput(
                attrs={"autocomplete": "off", "style": "text-transform: uppercase"}
            ),
            "retail_price": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
            "wholesale_price": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
            "is_active": forms.CheckboxInput(attrs={"role": "switch"}),
        }
        help_texts = {
            "wholesale_price": _("Charged automatically to customers in a wholesale group."),
        }
        error_messages = {
            "name": {"required": _("Enter the product's name.")},
            "code": {"required": _("Enter the product's code: its SKU or barcode.")},
            "retail_price": {"required": _("Enter the retail price (0 or more).")},
            "wholesale_price": {"required": _("Enter the wholesale price (0 or more).")},
        }

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the product's name."), code="required")
        return name

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not code:
            raise forms.ValidationError(
                _("Enter the product's code: its SKU or barcode."), code="required"
            )
        existing = product_with_code(code, exclude_pk=self.instance.pk)
        if existing is not None:
            raise forms.ValidationError(
                format_html(
                    gettext('Code {code} already belongs to <a href="{url}">{name}</a>.'),
                    code=existing.code,
                    url=reverse("sales:product_detail", args=[existing.pk]),
                    name=existing.name,
                ),
                code="duplicate_code",
            )
        return code

    def clean_retail_price(self):
        return self._not_negative("retail_price")

    def clean_wholesale_price(self):
        return self._not_negative("wholesale_price")

    def _not_negative(self, name: str):
        price = self.cleaned_data[name]
        if price is not None and price < ZERO:
            raise forms.ValidationError(
                _("A price cannot be negative: enter 0 or more."), code="negative_price"
            )
        return price

    def service_fields(self) -> dict:
        """The cleaned data as keyword arguments for product_create / product_update."""
        return dict(self.cleaned_data)


# --- sales --------------------------------------------------------------------------------


class SaleVoidForm(forms.Form):
    """Why a sale is voided; the service refuses an empty reason as well."""

    reason = forms.CharField(
        label=_("Reason for voiding"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 255}),
        error_messages={"required": _("Give a reason for voiding the sale.")},
    )


# --- refused offline sales ------------------------------------------------------------------


class OfflineRefusalDealForm(forms.Form):
    """What a manager did about a refused offline sale; the service refuses an empty note too."""

    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        help_text=_("Sold again at today's prices, refunded, M-Pesa payment traced, ..."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        error_messages={"required": _("Say what was done about this sale.")},
    )
