"""Input shape only: the views hand cleaned data to customers.services."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from core.forms import IdRangeModelMultipleChoiceField, SpreadsheetUploadForm
from core.phones import validate_typed_phone_digits
from customers.models import Cluster, Customer, CustomerGroup
from customers.selectors import customer_with_phone


class TypedPhoneField(PhoneNumberField):
    """A Kenyan phone as a person types it; at least ten digits, a real number, stored E.164."""

    default_error_messages = {
        "invalid": _("Enter a valid Kenyan phone number, e.g. 0712 345 678 or +254712345678."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("region", "KE")
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values:
            validate_typed_phone_digits(str(value))
        return super().to_python(value)


class CustomerForm(forms.ModelForm):
    """The back-office form. Required here (Mwingi's rule): name, village, Tax PIN, phone and at
    least one cluster; the till's quick-add form asks only for name and phone."""

    phone = TypedPhoneField(label=_("Phone"))
    clusters = IdRangeModelMultipleChoiceField(
        label=_("Clusters"),
        queryset=Cluster.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one cluster.")},
    )
    group = forms.ModelChoiceField(
        label=_("Customer group"), queryset=CustomerGroup.objects.all(), empty_label=None
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "phone",
            "village",
            "tax_pin",
            "clusters",
            "group",
            "email",
            "address",
            "latitude",
            "longitude",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "tax_pin": forms.TextInput(
                attrs={"placeholder": "A004416331M", "style": "text-transform: uppercase"}
            ),
        }
        help_texts = {
            "tax_pin": _("KRA PIN: A or P, nine digits, a letter."),
            "latitude": _("Both latitude and longitude, or neither."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("village", "tax_pin"):
            self.fields[name].required = True
        if not self.instance.pk:
            self.initial.setdefault("group", CustomerGroup.objects.filter(slug="walk-in").first())

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the customer's name."))
        return name

    def clean_tax_pin(self):
        return self.cleaned_data["tax_pin"].strip().upper()

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        existing = customer_with_phone(phone, exclude_pk=self.instance.pk)
        if existing is not None:
            raise forms.ValidationError(
                format_html(
                    gettext('This phone number already belongs to <a href="{url}">{name}</a>.'),
                    url=reverse("customers:customer_detail", args=[existing.pk]),
                    name=existing.name,
                ),
                code="duplicate_phone",
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None) and not self.has_error("latitude"):
            self.add_error(
                "longitude" if longitude is None else "latitude",
                _("Give both latitude and longitude, or leave both empty."),
            )
        return cleaned

    def service_fields(self) -> dict:
        """The cleaned data as keyword arguments for customer_create / customer_update."""
        return dict(self.cleaned_data)


class CustomerEditForm(CustomerForm):
    """Mirrors the create form, plus the Send SMS toggle and the credit limit (managers only)."""

    class Meta(CustomerForm.Meta):
        fields = [*CustomerForm.Meta.fields, "send_sms", "credit_limit"]
        widgets = {
            **CustomerForm.Meta.widgets,
            "send_sms": forms.CheckboxInput(attrs={"role": "switch"}),
        }
        help_texts = {
            **CustomerForm.Meta.help_texts,
            "credit_limit": _("0 means no credit for this customer."),
        }


def _hidden_coordinate(label, name: str, limit: int, out_of_range) -> forms.DecimalField:
    """A latitude or longitude the browser fills in (static/js/till.js), range-checked."""
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-limit,
        max_value=limit,
        widget=forms.HiddenInput(attrs={"data-geolocation": name}),
        error_messages={"min_value": out_of_range, "max_value": out_of_range},
    )


class QuickCustomerForm(forms.Form):
    """The till's "Add Customer": name and phone only, village if the cashier knows it (NaviPOS).

    The record shows as incomplete until the back office adds the Tax PIN and clusters.
    """

    name = forms.CharField(label=_("Name"), max_length=150)
    phone = TypedPhoneField(label=_("Phone"))
    village = forms.CharField(label=_("Village"), max_length=100, required=False)
    # Filled by the browser's position when the cashier allows it (static/js/till.js).
    latitude = _hidden_coordinate(
        _("Latitude"),
        "latitude",
        90,
        _("The location is not valid: latitude must be between -90 and 90."),
    )
    longitude = _hidden_coordinate(
        _("Longitude"),
        "longitude",
        180,
        _("The location is not valid: longitude must be between -180 and 180."),
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the customer's name."))
        return name

    def clean_phone(self):
        phone = self.cleaned_data["phone"]
        # The till offers to choose whoever already has the number instead of linking away.
        self.existing_customer = customer_with_phone(phone)
        if self.existing_customer is not None:
            raise forms.ValidationError(
                gettext("This phone number already belongs to %(name)s.")
                % {"name": self.existing_customer.name},
                code="duplicate_phone",
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if self.has_error("latitude") or self.has_error("longitude"):
            return cleaned
        if (latitude is None) != (longitude is None):
            raise forms.ValidationError(
                _("The location was incomplete: give both latitude and longitude, or neither.")
            )
        return cleaned


class CustomerImportForm(SpreadsheetUploadForm):
    create_clusters = forms.BooleanField(
        label=_("Create clusters named in the file"),
        required=False,
        help_text=_("Otherwise a cluster the shop does not have yet makes that row an error."),
    )
