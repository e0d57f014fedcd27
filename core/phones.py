"""Kenyan phone numbers as people type them: `0712 345 678`, `+254712345678`, `254712345678`."""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import to_python

MIN_TYPED_DIGITS = 10
KENYA_COUNTRY_CODE = "254"
_NON_DIGITS = re.compile(r"\D")
# What a phone looks like in a search box: digits with the usual separators, maybe a leading +.
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]+$")


def validate_typed_phone_digits(raw: str) -> None:
    """The rule from the shop's old system: a phone as typed has at least ten digits."""
    if len(_NON_DIGITS.sub("", raw or "")) < MIN_TYPED_DIGITS:
        raise ValidationError(
            _("Enter the full phone number, at least %(count)d digits, e.g. 0712 345 678."),
            code="too_few_digits",
            params={"count": MIN_TYPED_DIGITS},
        )


def phone_search_digits(text: str) -> str | None:
    """The digits to look for inside stored E.164 numbers, or None if `text` is not phone-like.

    `0712 345 678` -> `254712345678`; `+254 712 345678` -> `254712345678`; `712345` -> `712345`.
    A national number typed with its leading 0 becomes the international form, so it matches
    what is stored whether the person typed all of it or only its start.
    """
    text = (text or "").strip()
    if not _PHONE_LIKE.match(text):
        return None
    digits = _NON_DIGITS.sub("", text)
    if len(digits) < 3:
        return None
    if digits.startswith("0"):
        digits = KENYA_COUNTRY_CODE + digits[1:]
    return digits


def is_valid_kenyan_number(raw: str) -> bool:
    try:
        number = phonenumbers.parse(raw, "KE")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number)


# What PhoneNumberField stores for a valid number: "+", the country code, the national number.
_STORED_E164 = re.compile(r"\+[1-9]\d{6,14}")


def e164_of_stored(stored: str | None) -> str:
    """A stored phone column's value in E.164: what `customer.phone.as_e164` gives, without
    parsing it (17 microseconds a number, more than the rest of an export row).

    The field stores a valid number as its E.164 text, and libphonenumber formats that text back
    to itself (checked for every region's example numbers and 60,000 random valid ones). Every
    way in (the services' full_clean, the import) refuses invalid numbers; anything else stored,
    which the field keeps as typed, is parsed and formatted as before.
    """
    if not stored:
        return ""
    if _STORED_E164.fullmatch(stored):
        return stored
    return to_python(stored).as_e164
