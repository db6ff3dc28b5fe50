"""Reading the lineage ledger: where a record went, found by any id or key it had in any system.

A query, not a state change, so it lives apart from `workflows.actions`.
"""

from __future__ import annotations

from django.db.models import Q

from workflows.models import Lineage


def search_lineage(organization, query: str, *, limit: int = 200):
    """Every lineage row on the path of a record, found by any id or key it had in any system.

    Follows hops: a NetSuite fulfillment → its Whiplash order (forward flow) → the tracking that came back
    (reverse flow, whose destination is the forward row's source key)."""
    query = (query or "").strip()
    if not query:
        return Lineage.objects.none()
    base = Lineage.objects.filter(organization=organization)
    found_ids: set[int] = set()
    terms = {query}
    for _hop in range(3):
        match = Q(source_id__in=terms) | Q(destination_id__in=terms) | Q(source_key__in=terms)
        rows = list(base.filter(match).exclude(pk__in=found_ids)[:limit])
        if not rows:
            break
        found_ids.update(r.pk for r in rows)
        terms = {t for r in rows for t in (r.source_id, r.destination_id, r.source_key) if t}
    return base.filter(pk__in=found_ids).select_related("workflow").order_by("pk")
