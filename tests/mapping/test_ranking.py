"""The structure-aware ranking: roles from ancestors, one-to-one assignment, epoch timestamps, GraphQL
wrappers, run-together names, abstention and review below the thresholds, the learned re-ranker."""

import itertools
import json
import random
from io import StringIO

import pytest
from django.core.management import call_command

from connectors.mapping import ranking, reranker
from connectors.mapping.accuracy import HELD_OUT_DIR, labelled_sets, tuning_sets
from connectors.mapping.assign import best_assignment, minimum_cost
from connectors.mapping.engine import compile_mapping
from connectors.mapping.shapes import detect
from connectors.mapping.suggest import suggest_mappings
from connectors.mapping.transforms import TransformError, _parse_moment
from connectors.mapping.words import split_compound, tokens


def candidates(result, target):
    return next(entry["candidates"] for entry in result["fields"] if entry["target"] == target)


def sources(result, target):
    return [c["source"] for c in candidates(result, target)]


def fields(**samples):
    return [{"path": path, "samples": [value]} for path, value in samples.items()]


# --- Words ----------------------------------------------------------------------------------------


def test_run_together_and_abbreviated_names_are_split_into_words():
    assert tokens("shiptoname") == ("ship", "to", "name")
    assert tokens("qtyshipped") == ("quantity", "ship")
    assert tokens("docnum") == ("doc", "number")
    assert tokens("whseqty") == ("warehouse", "quantity")
    assert tokens("totalnetweight") == ("total", "net", "weight")
    # Real words stay whole even when their halves are common words.
    assert split_compound("barcode") == ("barcode",) and split_compound("username") == ("username",)
    # Past participles read as the verb, so `createDate` matches `created date`.
    assert tokens("createDate") == tokens("created_date") == ("create", "date")


# --- Structure --------------------------------------------------------------------------------------

ADDRESSES = fields(
    documentNumber="SH-1",
    **{
        "consignment.recipient.location.city": "Leeds",
        "consignment.recipient.location.postcode": "LS1 4AP",
        "consignment.recipient.location.street": "1 Park Row",
        "billing.city": "York",
        "billing.postcode": "YO1 7HH",
        "billing.street": "2 Minster Yard",
        "sender.city": "Hull",
        "sender.postcode": "HU1 1AA",
        "sender.street": "3 Dock St",
    },
)


def test_address_role_comes_from_the_ancestors():
    shipment = suggest_mappings("shipment", "read", ADDRESSES, rerank=False)
    for target, leaf in (("ship_to.city", "city"), ("ship_to.postal_code", "postcode"), ("ship_to.line1", "street")):
        ranked = sources(shipment, target)
        # The recipient's block, never the sender's or the billing one, although all three are named alike.
        assert ranked[0] == f"consignment.recipient.location.{leaf}", (target, ranked)
        others = candidates(shipment, target)[1:]
        assert all(c["confidence"] < 0.5 and c["review"] for c in others), others
    order = suggest_mappings("order", "read", ADDRESSES, rerank=False)
    assert sources(order, "bill_to.city")[0] == "billing.city"
    assert sources(order, "ship_to.city")[0] == "consignment.recipient.location.city"


def test_bill_to_is_not_a_ship_to_because_of_its_to():
    record = fields(**{"billTo.city": "Austin", "shipTo.city": "Dallas", "billTo.name": "A", "shipTo.name": "B"})
    result = suggest_mappings("shipment", "read", record, rerank=False)
    assert sources(result, "ship_to.city")[0] == "shipTo.city"
    assert sources(result, "ship_to.name")[0] == "shipTo.name"


def test_graphql_edges_node_wrappers_are_lines():
    record = fields(name="#1001", **{"lineItems.edges[*].node.sku": "A-1", "lineItems.edges[*].node.quantity": 2})
    result = suggest_mappings("order", "read", record, rerank=False)
    assert sources(result, "lines[].sku")[0] == "lineItems.edges[*].node.sku"
    lines = next(rule for rule in result["rules"] if rule["target"] == "lines")
    assert lines["each"] == "lineItems.edges[*]"
    assert {(r["target"], r["source"]) for r in lines["rules"]} == {("sku", "node.sku"), ("quantity", "node.quantity")}
    mapping = compile_mapping(result["rules"], standard="order", direction="read")
    mapped = mapping.apply({"name": "#1001", "lineItems": {"edges": [{"node": {"sku": "A-1", "quantity": 2}}]}})
    assert mapped.output["lines"] == [{"sku": "A-1", "quantity": 2}]


def test_a_header_field_read_from_inside_a_list_is_marked_for_review_and_not_applied():
    record = fields(**{"instructions[*].shipTo.city": "Leeds", "instructions[*].shipTo.postalCode": "LS1 4AP"})
    result = suggest_mappings("order", "read", record, rerank=False)
    [first, *_] = candidates(result, "ship_to.city")
    assert first["source"] == "instructions[*].shipTo.city" and first["review"] is True
    assert "inside a list" in first["reason"]
    assert all(rule.get("target") != "ship_to.city" for rule in result["rules"])


# --- One-to-one assignment -------------------------------------------------------------------------


def test_one_source_is_not_the_first_pick_of_two_fields():
    record = fields(**{"subtotalPriceSet.shopMoney.amount": "120.00", "totalPriceSet.shopMoney.amount": "146.90"})
    result = suggest_mappings("order", "read", record, rerank=False)
    assert sources(result, "totals.subtotal")[0] == "subtotalPriceSet.shopMoney.amount"
    # Alone, the subtotal would also be the total's best match; the assignment gives the total its own field.
    total = candidates(result, "totals.total")
    assert total[0]["source"] == "totalPriceSet.shopMoney.amount"
    assert total[1]["source"] == "subtotalPriceSet.shopMoney.amount"
    assert "a better fit for totals.subtotal" in total[1]["reason"]
    assert total[1]["confidence"] < total[0]["confidence"]


def test_fields_that_may_share_a_source_keep_it():
    record = fields(
        **{"billing.first_name": "Jane", "billing.email": "jane@example.com", "created": "2025-01-02T03:04:05Z"}
    )
    result = suggest_mappings("order", "read", record, rerank=False)
    assert sources(result, "bill_to.email")[0] == sources(result, "customer.email")[0] == "billing.email"
    assert sources(result, "placed_at")[0] == sources(result, "created_at")[0] == "created"


def test_assignment_is_the_best_total_against_brute_force():
    rng = random.Random(7)
    for _ in range(40):
        rows, cols = rng.randint(1, 4), rng.randint(4, 6)
        cost = [[round(rng.random(), 3) for _ in range(cols)] for _ in range(rows)]
        picks = minimum_cost(cost)
        assert len(set(picks)) == rows
        best = min(sum(cost[r][c] for r, c in enumerate(p)) for p in itertools.permutations(range(cols), rows))
        assert sum(cost[r][c] for r, c in enumerate(picks)) == pytest.approx(best)
    # A field stays unassigned rather than take a column worth less than the floor.
    assert best_assignment({"a": {"x": 0.9}, "b": {"x": 0.8, "y": 0.01}}, floor=0.05) == {"a": "x"}
    assert best_assignment({"a": {"x": 0.9, "y": 0.85}, "b": {"x": 0.8}}) == {"a": "y", "b": "x"}


# --- Timestamps -------------------------------------------------------------------------------------


def test_epoch_seconds_and_milliseconds_are_timestamps():
    assert detect([1730462400])["epoch_s"] == 1.0 and detect(["1730910360000"])["epoch_ms"] == 1.0
    assert "epoch" not in detect([42, 1017]) and "naive_datetime" in detect(["2025-10-21 14:03:22"])
    record = fields(
        receipt_id=1458962154, created_timestamp=1730462400, updated_timestamp=1730548800, orderDate=1730910360000
    )
    result = suggest_mappings("order", "read", record, rerank=False)
    created, placed = candidates(result, "created_at")[0], candidates(result, "placed_at")[0]
    assert created["source"] == "created_timestamp" and created["transforms"] == [
        {"op": "to_datetime", "format": "epoch_s"}
    ]
    assert placed["source"] == "orderDate" and placed["transforms"] == [{"op": "to_datetime", "format": "epoch_ms"}]
    # An id in the same numeric range is not taken for a time.
    assert all(c["source"] != "receipt_id" for c in candidates(result, "created_at"))
    rules = [r for r in result["rules"] if r["target"] in ("placed_at", "created_at")]
    rules.append({"target": "order_number", "source": "number"})
    mapping = compile_mapping(rules, standard="order", direction="read")
    mapped = mapping.apply({"number": "R-1", "created_timestamp": 1730462400, "orderDate": 1730910360000})
    assert mapped.ok, mapped.errors
    assert mapped.output["created_at"] == "2024-11-01T12:00:00+00:00"
    assert mapped.output["placed_at"] == "2024-11-06T16:26:00+00:00"


def test_epoch_formats_reject_text():
    with pytest.raises(TransformError, match="not a number of ms since 1970"):
        _parse_moment("yesterday", "epoch_ms")
    assert _parse_moment("", "epoch_s") is None


# --- Thresholds -------------------------------------------------------------------------------------


def test_candidates_below_the_threshold_are_dropped_and_weak_first_picks_are_not_applied(monkeypatch):
    record = fields(colour="red", sku="A-1", weightish_note="heavy")
    result = suggest_mappings("product", "read", record, rerank=False)
    for entry in result["fields"]:
        assert all(c["confidence"] >= ranking.MIN_CONFIDENCE for c in entry["candidates"]), entry
    weak = candidates(result, "weight.unit")
    assert weak and weak[0]["confidence"] < ranking.REVIEW_CONFIDENCE and weak[0]["review"] is True
    assert result["rules"] == [{"target": "sku", "source": "sku", "origin": "suggested"}]
    # Raise the floor above the weak pick: the ranker abstains for that field.
    monkeypatch.setattr(ranking, "MIN_CONFIDENCE", weak[0]["confidence"] + 0.01)
    again = suggest_mappings("product", "read", record, rerank=False)
    assert candidates(again, "weight.unit") == [] and "weight.unit" in again["unmatched_fields"]
    assert sources(again, "sku") == ["sku"]


# --- Re-ranker ---------------------------------------------------------------------------------------


def test_shipped_model_matches_the_features_and_is_readable():
    shipped = json.loads(reranker.MODEL_PATH.read_text(encoding="utf-8"))
    assert tuple(shipped["features"]) == reranker.FEATURES and len(shipped["weights"]) == len(reranker.FEATURES)
    assert shipped["retrain"] == "manage.py mapping_train"
    # Trained on the tuning sets only: never on a held-out set (the former one, eBay, Magento, Etsy…, is tuning
    # data now).
    assert set(shipped["trained_on"]) == {labelled["name"] for labelled in tuning_sets()}
    assert not set(shipped["trained_on"]) & {labelled["name"] for labelled in labelled_sets(HELD_OUT_DIR)}
    assert reranker.model() is not None


def test_a_model_for_other_features_is_ignored(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"features": ["something_else"], "weights": [1.0], "bias": 0.0}))
    assert reranker.model(path) is None


def test_fit_recovers_a_separable_rule():
    rng = random.Random(3)
    width = len(reranker.FEATURES)
    examples = []
    for _ in range(300):
        values = [rng.random() for _ in range(width)]
        examples.append((values, values[0] > 0.5))
    fitted = reranker.fit(examples, l2=0.01)
    assert fitted["weights"][0] > 5 and all(abs(w) < abs(fitted["weights"][0]) / 3 for w in fitted["weights"][1:])
    assert reranker.probability([0.9] + [0.5] * (width - 1), fitted) > 0.9


def test_retraining_reproduces_the_shipped_model():
    out = StringIO()
    call_command("mapping_train", "--dry-run", stdout=out)
    text = out.getvalue()
    shipped = json.loads(reranker.MODEL_PATH.read_text(encoding="utf-8"))
    assert f"trained on {len(shipped['trained_on'])} tuning schemas: {shipped['examples']} pairs" in text
    for name, weight in zip(shipped["features"], shipped["weights"], strict=True):
        assert f"{name:40} {weight:+8.4f}" in text
    assert f"{'bias':40} {shipped['top1']['bias']:+8.4f}" in text
