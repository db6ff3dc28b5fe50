"""Low-confidence suggestions are marked for review and never pre-selected: in the suggest API, in the
rules it proposes, and on the wizard's Verify page."""

import pytest
from django.template.loader import render_to_string

from connectors.mapping.suggest import REVIEW_CONFIDENCE, suggest_mappings
from workflows.wizard.mapping_form import attach_options, build_rows

# `sku` is certain; `weightish_note` is the only, weak, candidate for weight.unit.
FIELDS = [{"path": "sku", "samples": ["A-1"]}, {"path": "weightish_note", "samples": ["heavy"]}]


def test_suggestions_carry_a_review_mark_and_only_confident_ones_become_rules():
    result = suggest_mappings("product", "read", FIELDS, rerank=False)
    by_target = {entry["target"]: entry["candidates"] for entry in result["fields"]}
    assert by_target["sku"][0]["review"] is False and by_target["sku"][0]["confidence"] >= REVIEW_CONFIDENCE
    weak = by_target["weight.unit"][0]
    assert weak["source"] == "weightish_note" and weak["review"] is True and weak["confidence"] < REVIEW_CONFIDENCE
    assert "weight.unit" in result["review_fields"] and "sku" not in result["review_fields"]
    assert [rule["target"] for rule in result["rules"]] == ["sku"]


@pytest.mark.django_db
def test_suggest_api_returns_the_review_marks(client_for, developer_a):
    response = client_for(developer_a).post(
        "/api/v1/mappings/suggest", {"standard": "product", "source_fields": FIELDS}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert "weight.unit" in body["review_fields"]
    assert all(rule["target"] != "weight.unit" for rule in body["rules"])


def _rows(rules):
    result = suggest_mappings("product", "read", FIELDS, rerank=False)
    rows, _, _ = build_rows(result["fields"], rules)
    attach_options(rows, FIELDS)
    return {row.target: row for row in rows}


def test_verify_rows_show_a_weak_suggestion_beside_the_field_without_selecting_it():
    rows = _rows(suggest_mappings("product", "read", FIELDS, rerank=False)["rules"])
    assert rows["sku"].selected == "sku" and rows["sku"].review is False
    unit = rows["weight.unit"]
    assert unit.selected == "" and unit.suggestion["source"] == "weightish_note" and unit.suggestion["review"]
    # The dropdown offers it first, marked, with "not mapped" still the selected option.
    assert unit.options[0] == ("", "— not mapped —", True)
    value, text, selected = unit.options[1]
    assert value == "weightish_note" and text.endswith("· review") and not selected


def test_verify_rows_mark_a_saved_weak_pick_for_review():
    rows = _rows([{"target": "sku", "source": "sku"}, {"target": "weight.unit", "source": "weightish_note"}])
    unit = rows["weight.unit"]
    assert unit.selected == "weightish_note" and unit.review is True and unit.suggestion is None


def test_verify_page_marks_review_rows():
    rows = list(_rows(suggest_mappings("product", "read", FIELDS, rerank=False)["rules"]).values())
    html = render_to_string(
        "wizard/map_verify.html",
        {
            "rows": rows,
            "mapping": {"standard": "product"},
            "spec": {"label": "Products"},
            "connection": {"name": "X"},
            "review_confidence": REVIEW_CONFIDENCE,
            "steps": [],
            "groups": {},
        },
    )
    unit = html.split('data-target="weight.unit"', 1)[1].split("</tr>", 1)[0]
    assert "suggests weightish_note" in unit and "review: not pre-selected" in unit
    assert '<option value="weightish_note" selected>' not in unit
    sku = html.split('data-target="sku"', 1)[1].split("</tr>", 1)[0]
    assert "review" not in sku and '<option value="sku" selected>' in sku
    assert "under 50%" in html
