"""How the back office names a member of staff: their full name, else their username (as
Django's admin does). One definition for Python and for SQL, so a name stored by a query
(a customer's last cashier) reads as the same name shown from the user."""

from django.db.models import F, Func, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim


def staff_name(user) -> str:
    return user.get_full_name() or user.get_username()


def staff_name_expression(path: str = "") -> Func:
    """staff_name() of the user at `path` (for example "cashier__"), computed by the database."""
    full_name = Trim(Concat(F(f"{path}first_name"), Value(" "), F(f"{path}last_name")))
    return Coalesce(NullIf(full_name, Value("")), F(f"{path}username"))
