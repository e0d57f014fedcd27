"""Money is recorded once per form, whatever the browser does.

Each till, payment and adjustment form carries a token that the database keeps unique, and each
M-Pesa code is claimed once (core.mpesa). The write itself runs without looking either up; only
when it is refused, after its rollback, does `record_once` ask why, so a normal write pays no
query for it.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from core.mpesa import mpesa_code_is_used, mpesa_code_used_error


def record_once(
    write: Callable,
    *,
    model,
    token,
    token_field: str,
    already_recorded: Callable[[object], Exception],
    mpesa_code: str = "",
):
    """Return `write()` (which runs in its own transaction). If it is refused and `token` has
    already recorded a `model` row (a double click, a resent form, two copies racing), raise
    `already_recorded(that row)`; if the database refused a second use of `mpesa_code`, say so
    plainly; otherwise let the refusal through."""
    try:
        return write()
    except (ValidationError, IntegrityError) as refusal:
        already = model.objects.filter(**{token_field: token}).order_by().first() if token else None
        if already is not None:
            raise already_recorded(already) from refusal
        if isinstance(refusal, IntegrityError) and mpesa_code and mpesa_code_is_used(mpesa_code):
            # Two tills typed the same M-Pesa code at the same moment; the other one won.
            raise mpesa_code_used_error(mpesa_code) from refusal
        raise
