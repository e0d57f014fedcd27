from django import forms
from django.utils.translation import gettext_lazy as _


class SpreadsheetUploadForm(forms.Form):
    """The file of an import (customers, products); a kind adds its own options."""

    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_(
            "CSV (comma or semicolon separated, any encoding Excel writes) or Excel .xlsx, up to "
            "10 MB. The first row names the columns, as in the template."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
