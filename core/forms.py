import re

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


# The largest id a database column holds (a 64-bit signed integer).
LARGEST_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def id_or_none(text) -> int | None:
    """The id a request names, or None when the text is not one a table can hold. Not
    str.isdigit(): it says yes to "²" and "٣", which int() or the database then refuses."""
    text = str(text or "").strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= LARGEST_ID else None


class IdRangeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses an id no table can hold with the field's own
    message. Django's checks the ids with an `IN` query, which for 2**63 raised OverflowError on
    SQLite and an out-of-range error on PostgreSQL: a 500 for a tampered form (found by
    tests/core/test_bad_input.py)."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if text.isdigit() and id_or_none(text) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)
