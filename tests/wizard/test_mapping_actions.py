"""The mapping actions the wizard uses: source fields from samples plus discovered fields, and the
destination's writer mapping built from the vendor default or the suggestions."""

from __future__ import annotations

import pytest

from connectors import actions as connector_actions
from connectors.base import StreamField
from connectors.mapping import actions as mapping_actions
from connectors.mapping.models import Mapping
from connectors.registry import get_connector


def test_source_fields_merge_discovered_fields_with_paths_seen_in_samples():
    samples = [
        {"id": "1", "shipTo": {"city": "Ann Arbor", "zip": ""}, "items": [{"sku": "A-1"}, {"sku": "A-2"}]},
        {"id": "2", "shipTo": {"city": None}},
    ]
    discovered = [StreamField("items[].qty", "number", "Quantity"), {"path": "memo", "label": "Memo", "type": "string"}]
    fields = {f["path"]: f for f in mapping_actions.source_fields(samples, discovered)}
    assert list(fields) == sorted(fields)
    assert set(fields) == {"id", "shipTo.city", "shipTo.zip", "items[*].sku", "items[*].qty", "memo"}
    assert fields["items[*].qty"]["label"] == "Quantity" and fields["items[*].qty"]["samples"] == []
    assert fields["shipTo.city"]["samples"] == ["Ann Arbor"]  # empty values are not samples
    assert fields["items[*].sku"]["samples"] == ["A-1", "A-2"]
    assert mapping_actions.source_fields([], ()) == []


@pytest.mark.django_db
def test_writer_mapping_for_destination_is_created_once(org_a):
    whiplash = connector_actions.create_connection(
        org_a,
        connector_type="whiplash",
        name="Whiplash",
        credentials=get_connector("whiplash").sandbox_credentials("http://127.0.0.1:9"),
    )
    first = mapping_actions.writer_mapping_for_destination(whiplash, "orders")
    assert first is not None and first.direction == "write" and first.current_version() is not None
    again = mapping_actions.writer_mapping_for_destination(whiplash, "orders")
    assert again.pk == first.pk
    assert Mapping.objects.filter(connection=whiplash, direction="write").count() == 1
    assert mapping_actions.writer_mapping_for_destination(whiplash, "no-such-stream") is None
