"""{% waiting_offline_refusals %}: how many refused offline sales wait for a manager, for the
badge beside the link to their list (the sales list, the reports index)."""

from django import template

from sales.selectors import OFFLINE_REFUSALS_COUNTED, offline_refusals_waiting_count

register = template.Library()


@register.simple_tag
def waiting_offline_refusals() -> str:
    """Nothing when none wait, else "3", or "99+" beyond OFFLINE_REFUSALS_COUNTED."""
    count = offline_refusals_waiting_count()
    if count > OFFLINE_REFUSALS_COUNTED:
        return f"{OFFLINE_REFUSALS_COUNTED}+"
    return str(count) if count else ""
