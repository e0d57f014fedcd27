"""Gapless document numbers."""

from django.db import transaction

from core.models import NumberSequence

INVOICE_SEQUENCE = "invoice"


def sequence_next(name: str) -> int:
    """The next number of sequence `name`, reserved until the caller's transaction ends.

    Concurrent callers queue on the sequence's row lock, so numbers are never shared; a rollback
    undoes the increment, so no number is skipped.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next() must run inside the document's transaction")
    sequence, _created = NumberSequence.objects.select_for_update().get_or_create(name=name)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return sequence.last_value
