"""Whiplash's rule for when an order can still be changed: shared by the connector's writer (which
decides between an update and a ConflictError) and the sandbox (which refuses the update as Whiplash
does). Pure data and functions only: the sandbox imports this and must not pull in the HTTP client."""

from __future__ import annotations

UPDATABLE_BELOW = 120  # Printed: from here on Whiplash refuses edits
FINAL_STATUSES = frozenset({30, 40, 45})  # shipped externally, cancelled, closed by originator


def order_editable(status: int) -> bool:
    """Whether Whiplash still accepts changes to an order in this status."""
    return status < UPDATABLE_BELOW and status not in FINAL_STATUSES
