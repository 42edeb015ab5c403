"""CI's release gate: the real seed set with the real default embedder, end to end, through
the ``assistant eval`` command; and proof that degrading retrieval makes it fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.__main__ import main

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("seed-index")


def test_seed_gate_passes(cache, tmp_path, capsys, e5):
    status = main(
        ["eval", "--set", "seed", "--index", str(cache), "--out", str(tmp_path)], embedder=e5
    )
    captured = capsys.readouterr()
    assert status == 0, captured.out + captured.err
    assert "gate passed for set seed" in captured.out
    assert "items changed since baseline evals/seed/baseline.json" in captured.out
    assert "no item regressed" in captured.out  # the committed baseline holds every item
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["counts"]["errors"] == 0 and report["gate"]["passed"] is True
    assert report["metrics"]["hit@5"] == 1.0


def test_seed_gate_fails_naming_the_metric_when_retrieval_is_degraded(cache, tmp_path, capsys, e5):
    status = main(
        ["eval", "--set", "seed", "--index", str(cache), "--out", str(tmp_path), "--top-k", "0"],
        embedder=e5,
    )
    captured = capsys.readouterr()
    assert status == 1
    assert "FAIL hit@5 = 0.000 is below its floor 0.900; worst items: de-" in captured.err
    assert "FAIL answered = 0.000 is below its floor" in captured.err
    assert "gate FAILED for set seed" in captured.out


def test_the_shipped_feedback_set_is_part_of_the_gate(tmp_path, capsys, e5):
    """``evals/feedback`` runs in CI like the seed set: today it holds no reviewed items
    (exit 0, said so); every item a review adds is gated here from then on."""
    status = main(["eval", "--set", "feedback", "--index", str(tmp_path / "ix"), "--out",
                   str(tmp_path / "out")], embedder=e5)  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0, out
    items = (ROOT / "evals" / "feedback" / "items.jsonl").read_text(encoding="utf-8").split()
    expected = "gate passed for set feedback" if items else "has no items yet: nothing to gate"
    assert expected in out
