"""The gate's pass/fail logic: floors, tolerance against the baseline, missing metrics."""

from __future__ import annotations

import json

from assistant.evaluation import gate
from assistant.evaluation.runner import ItemResult
from assistant.evaluation.sets import EvalItem


def test_passes_when_above_floor_and_within_tolerance():
    metrics = {"hit@5": 0.93, "correct": 0.8}
    failures = gate.check(metrics, {"hit@5": 0.9}, {"hit@5": 0.95, "correct": 0.82}, 0.05)
    assert failures == []


def test_fails_below_floor_naming_the_metric():
    failures = gate.check({"hit@5": 0.85}, {"hit@5": 0.9}, None, 0.05)
    assert [(f.metric, f.why) for f in failures] == [("hit@5", "floor")]
    assert "hit@5 = 0.850 is below its floor 0.900" in failures[0].message()


def test_fails_when_dropping_more_than_tolerance_below_baseline():
    failures = gate.check({"correct": 0.74}, {}, {"correct": 0.80}, 0.05)
    assert [(f.metric, f.why, f.limit) for f in failures] == [("correct", "baseline", 0.75)]
    assert gate.check({"correct": 0.75}, {}, {"correct": 0.80}, 0.05) == []  # exactly at limit


def test_a_missing_metric_fails_when_it_has_a_floor_or_baseline():
    failures = gate.check({"hit@5": None}, {"hit@5": 0.9}, {"faithfulness": 1.0}, 0.05)
    assert {(f.metric, f.why) for f in failures} == {
        ("hit@5", "floor"),
        ("faithfulness", "baseline"),
    }
    assert "n/a (no item to compute it on)" in failures[0].message()


def test_ungated_metrics_are_ignored():
    assert gate.check({"error": 1.0, "mystery": 0.0}, {"mystery": 0.5}, None, 0.0) == []


def test_baseline_round_trip(tmp_path):
    path = tmp_path / "baseline.json"
    gate.save_baseline(path, {"hit@5": 0.912345, "error": 0.0, "f1": None}, {"set": "x"})
    assert json.loads(path.read_text())["metrics"] == {"hit@5": 0.9123}
    assert gate.load_baseline(path) == {"hit@5": 0.9123}
    assert gate.load_baseline(tmp_path / "absent.json") is None


def test_worst_items_lists_lowest_scores_first():
    items = [
        ItemResult(EvalItem(str(i), "q", "de", True), scores={"correct": s})
        for i, s in enumerate([1.0, 0.0, 0.5, None])
    ]
    assert gate.worst_items(items, "correct") == ["1", "2"]


def test_floors_apply_only_to_metrics_the_sets_items_can_compute():
    floors = {"hit@5": 1.0, "correct": 1.0, "citation_precision": 1.0, "declined": 1.0}
    declines = [EvalItem("d", "q", "de", False)]
    answers = [EvalItem("a", "q", "de", True, ("x",))]
    assert gate.applicable(floors, declines) == {"declined": 1.0}
    assert gate.applicable(floors, answers) == {k: 1.0 for k in floors if k != "declined"}
    assert gate.applicable(floors, declines + answers) == floors
    # a set with answerable items still fails when their metric is missing
    applied = gate.applicable(floors, answers)
    assert [f.metric for f in gate.check({"hit@5": None}, applied, None, 0.0)][0] == "hit@5"


def test_a_false_claim_ceiling_and_baseline_fail_upwards():
    """false_claim is lower-is-better: a ceiling, and the baseline limit is + tolerance."""
    over = gate.check({"false_claim": 0.2}, {"false_claim": 0.1}, None, 0.05)
    assert [(f.why, f.message()) for f in over] == [
        ("ceiling", "false_claim = 0.200 is above its ceiling 0.100")
    ]
    assert gate.check({"false_claim": 0.05}, {"false_claim": 0.1}, None, 0.05) == []
    rose = gate.check({"false_claim": 0.2}, {}, {"false_claim": 0.1}, 0.05)
    assert [f.message() for f in rose] == [
        "false_claim = 0.200 rose above baseline + tolerance (0.150)"
    ]


def test_a_set_puts_ceilings_apart_and_refuses_a_floor_on_false_claims(tmp_path):
    import pytest

    from assistant.evaluation.sets import EvalSetError, load_set_dir

    (tmp_path / "items.jsonl").write_text(
        json.dumps({"id": "a", "question": "q", "language": "de", "answerable": False}) + "\n"
    )
    manifest = {"corpora": {"full": []}, "floors": {"declined": 0.5}}
    (tmp_path / "set.json").write_text(json.dumps({**manifest, "ceilings": {"false_claim": 0.1}}))
    assert load_set_dir(tmp_path, tmp_path).floors == {"declined": 0.5, "false_claim": 0.1}
    (tmp_path / "set.json").write_text(json.dumps({"floors": {"false_claim": 0.05}}))
    with pytest.raises(EvalSetError, match="expected false_claim under 'ceilings'"):
        load_set_dir(tmp_path, tmp_path)
