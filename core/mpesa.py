"""M-Pesa transaction codes: ten upper-case letters and digits (`NLJ7RT61SV`), each accepted once,
whether it paid a sale at the till or a payment on account."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.models import MpesaCode

MPESA_CODE_PATTERN = r"^[A-Z0-9]{10}$"


def normalise_mpesa_code(raw: str) -> str:
    """An M-Pesa code as typed (`nlj7 rt61sv`) in its stored form (`NLJ7RT61SV`)."""
    return re.sub(r"\s+", "", raw or "").upper()


def mpesa_code_validate(raw: str) -> str:
    """The code in its stored form, or ValidationError if it is malformed or already used."""
    code = normalise_mpesa_code(raw)
    if not re.match(MPESA_CODE_PATTERN, code):
        raise ValidationError(
            _("An M-Pesa code is 10 letters and digits, e.g. NLJ7RT61SV."), code="mpesa_code"
        )
    if MpesaCode.objects.filter(code=code).exists():
        raise ValidationError(
            _("M-Pesa code %(code)s has already been used.") % {"code": code},
            code="mpesa_code_used",
        )
    return code


def mpesa_code_claim(code: str, *, purpose: str) -> None:
    """Record `code` as used, inside the caller's transaction. Two tills claiming the same code at
    the same moment: the database lets one through and raises IntegrityError for the other,
    which the caller explains after its rollback (see `mpesa_code_used_message`)."""
    MpesaCode.objects.create(code=code, purpose=purpose)


def mpesa_code_is_used(raw: str) -> bool:
    return MpesaCode.objects.filter(code=normalise_mpesa_code(raw)).exists()


def mpesa_code_used_error(raw: str) -> ValidationError:
    return ValidationError(
        _("M-Pesa code %(code)s has already been used.") % {"code": normalise_mpesa_code(raw)},
        code="mpesa_code_used",
    )
