"""The held-out labelled set and how `mapping_accuracy` reports it apart from the tuning sets.

No threshold is asserted on a held-out figure: it is measured, not tuned for. The shipped held-out folder may
be empty between two frozen sets (the last one became tuning data), so the report is exercised on probe sets
written to a temporary folder: tuning schemas relabelled as a system no tuning file names."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from connectors.mapping.accuracy import HELD_OUT_DIR, calibration, labelled_sets, tuning_sets
from connectors.mapping.suggest import targets_of

TUNING = tuning_sets()
HELD_OUT = labelled_sets(HELD_OUT_DIR)
FORMAT_KEYS = {"name", "system", "record", "standard", "direction", "source", "fields", "expected"}
PROBE_STANDARDS = ("product", "shipment", "inventory_level", "order")


def run(*args, **options):
    out = StringIO()
    call_command("mapping_accuracy", *args, stdout=out, **options)
    return out.getvalue()


def write_set(directory, labelled):
    (directory / f"{labelled['name']}.json").write_text(json.dumps(labelled), encoding="utf-8")


def probe(standard, name, **changes):
    """A tuning schema of `standard` presented as a system that has no tuning set."""
    labelled = next(labelled for labelled in TUNING if labelled["standard"] == standard)
    return {**labelled, "name": name, "system": f"Probe system {name}", **changes}


@pytest.fixture
def held_out_dir(tmp_path):
    """One probe set per standard."""
    for standard in PROBE_STANDARDS:
        write_set(tmp_path, probe(standard, f"probe_{standard}"))
    return tmp_path


def test_labelled_sets_use_one_format_and_valid_answers():
    assert len(TUNING) >= 60 and sum(len(labelled["expected"]) for labelled in TUNING) >= 1000
    assert {labelled["standard"] for labelled in TUNING} >= set(PROBE_STANDARDS)
    for labelled in TUNING + HELD_OUT:
        assert set(labelled) == FORMAT_KEYS, labelled["name"]
        assert labelled["direction"] == "read"
        paths = [spec["path"] for spec in labelled["fields"]]
        assert len(paths) == len(set(paths)), labelled["name"]
        assert all({"path", "label", "type", "samples"} <= set(spec) for spec in labelled["fields"])
        targets = {target.path for target in targets_of(labelled["standard"])}
        for target, acceptable in labelled["expected"].items():
            assert target in targets, (labelled["name"], target)
            assert acceptable and set(acceptable) <= set(paths), (labelled["name"], target)


def test_held_out_systems_and_names_are_disjoint_from_the_tuning_set():
    tuned = {labelled["system"] for labelled in TUNING}
    assert not tuned & {labelled["system"] for labelled in HELD_OUT}
    names = [labelled["name"] for labelled in TUNING + HELD_OUT]
    assert len(names) == len(set(names))


def test_held_out_folder_keeps_its_rules():
    assert (HELD_OUT_DIR / "README.md").is_file()
    assert "never tune on these" in (HELD_OUT_DIR / "README.md").read_text(encoding="utf-8")


def test_set_tuning_reports_both_tuning_folders_only():
    text = run("--set", "tuning")
    assert text.startswith("== Tuning set (connectors/mapping/data/labelled)")
    assert "target top-1 >= 90%" in text and "whiplash_order" in text
    # The first and second held-out sets are reported as tuning data now.
    assert "== Tuning set (connectors/mapping/data/tuning): the first held-out set" in text
    assert "bigcommerce_product" in text and "ebay_order" in text and "tuning all standards" in text
    assert "Held-out" not in text


def test_set_held_out_reports_each_set_and_standard_without_targets(held_out_dir):
    text = run("--set", "held-out", "--misses", "--held-out-dir", str(held_out_dir))
    assert "== Held-out set" in text and "== Tuning" not in text and "target top-1" not in text
    for standard in PROBE_STANDARDS:
        assert f"probe_{standard}" in text
    totals = [line for line in text.splitlines() if line.startswith("held-out ")]
    assert {line.split()[1] for line in totals} == {*PROBE_STANDARDS, "all"}
    assert all("miss held-out" in line for line in text.splitlines() if line.strip().startswith("miss"))


def test_default_report_compares_tuning_and_held_out_per_standard(held_out_dir):
    text = run("--held-out-dir", str(held_out_dir))
    tuning, rest = text.split("== Held-out set", 1)
    assert "== Tuning set" in tuning and "netsuite_item_fulfillment" in tuning and "probe_order" not in tuning
    comparison = rest.split("== Tuning vs held-out", 1)[1].splitlines()
    for standard in PROBE_STANDARDS:
        row = next(line for line in comparison if line.strip().startswith(standard))
        assert "tuning" in row and "held-out" in row
    assert "held-out: expected calibration error" in rest and "tuning: expected calibration error" in rest
    assert "a 200-field schema (order)" in rest and "a 200-field schema (product)" in rest


def test_default_report_with_an_empty_held_out_folder_shows_the_tuning_sets(tmp_path):
    text = run("--held-out-dir", str(tmp_path))
    tuning, rest = text.split("== Held-out set", 1)
    assert "tuning all standards" in tuning
    assert "the held-out folder is empty" in rest and "== Tuning vs held-out" not in rest
    assert "tuning: expected calibration error" in rest and "held-out: expected calibration error" not in rest
    assert "a 200-field schema (order)" in rest and "a 200-field schema (product)" in rest


def test_set_without_labelled_targets_shows_a_dash(tmp_path):
    write_set(tmp_path, probe("product", "probe", expected={}))
    text = run("--set", "held-out", "--held-out-dir", str(tmp_path))
    line = next(line for line in text.splitlines() if line.startswith("held-out product"))
    assert "fields   0  top-1      -  top-3      -" in line


def test_calibration_table_counts_buckets_and_abstentions():
    rows = calibration([(0.97, True), (0.96, False), (0.55, True), (1.0, True), (None, False)])
    by_low = {row["low"]: row for row in rows}
    assert by_low[0.95]["count"] == 3 and by_low[0.95]["right"] == 2
    assert by_low[0.5]["count"] == 1 and by_low[0.5]["mean"] == pytest.approx(0.55)
    assert by_low[None]["count"] == 1 and sum(row["count"] for row in rows) == 5


def test_held_out_figures_are_counted_from_the_expected_answers(tmp_path):
    extensiv = next(labelled for labelled in TUNING if labelled["name"] == "extensiv_stock_summary")
    extensiv = {**extensiv, "system": "Probe stock system"}
    right = {**extensiv, "name": "probe_right", "expected": {"sku": ["itemIdentifier.sku"]}}
    wrong = {**extensiv, "name": "probe_wrong", "expected": {"sku": ["totalReceived"]}}
    write_set(tmp_path, right)
    write_set(tmp_path, wrong)
    text = run("--set", "held-out", "--held-out-dir", str(tmp_path), "--misses")
    lines = text.splitlines()
    assert "top-1 100.0%" in next(line for line in lines if "probe_right" in line)
    assert "top-1   0.0%" in next(line for line in lines if "probe_wrong" in line and "miss" not in line)
    total = next(line for line in lines if line.startswith("held-out inventory_level"))
    assert "fields   2" in total and "top-1  50.0%" in total
    assert "miss held-out probe_wrong: sku" in text and "probe_right: sku" not in text


def test_held_out_set_from_a_tuned_system_is_refused(tmp_path):
    write_set(tmp_path, {**TUNING[0], "name": "leaked"})
    with pytest.raises(CommandError, match="outside the tuning set"):
        run("--set", "held-out", "--held-out-dir", str(tmp_path))


def test_a_former_held_out_system_is_refused_now_that_it_is_tuning_data(tmp_path):
    ebay = next(labelled for labelled in TUNING if labelled["name"] == "ebay_order")
    write_set(tmp_path, {**ebay, "name": "ebay_again"})
    with pytest.raises(CommandError, match="outside the tuning set"):
        run("--held-out-dir", str(tmp_path))


def test_missing_held_out_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("--held-out-dir", str(tmp_path / "nowhere"))


def test_empty_held_out_folder_is_reported(tmp_path):
    text = run("--set", "held-out", "--held-out-dir", str(tmp_path))
    assert "no held-out labelled schemas found" in text and "the held-out folder is empty" in text
