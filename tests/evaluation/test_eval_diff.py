"""Item states, what counts as a change and a regression, the item baseline's round trip,
the JUnit file's verdicts and the changed-items view's escaping (no assistant needed)."""

from __future__ import annotations

import json

import pytest
from junitparser import Failure, JUnitXml, Skipped

from assistant.__main__ import main
from assistant.encoder.kernels import int8_kernels
from assistant.evaluation import diff, diffview, gate
from assistant.evaluation.diff import Comparison, ItemState, change_tags
from assistant.evaluation.junit import write_junit
from assistant.evaluation.runner import ItemResult, RunResult
from assistant.evaluation.sets import EvalItem, EvalSetError


def report_item(item_id="q", answerable=True, answered=True, correct=1.0, **extra) -> dict:
    scores = {"correct": correct} if answerable else {"declined": float(not answered)}
    return {
        "id": item_id,
        "question": "Wie viele?",
        "expected_answerable": answerable,
        "answer": extra.pop("answer", "fast 12.000 [1]" if answered else "Dazu nichts."),
        "answered": answered,
        "error": "",
        "citations": [{"article_id": "troops"}] if answered else [],
        "scores": scores,
        **extra,
    }


def state(**kwargs) -> ItemState:
    return diff.state_from_report(report_item(**kwargs))


def test_the_kind_falls_back_on_answered_and_closest_is_a_decline():
    assert diff.answer_kind({"answered": True}) == "answer"
    assert diff.answer_kind({"answered": False}) == "none"
    assert diff.answer_kind(ItemResult(EvalItem("a", "q", "de", True), answered=True)) == "answer"
    closest = state(answered=False, answer_kind="closest", correct=0.0)
    assert (closest.kind, closest.status) == ("closest", "declined")
    unanswerable = state(answerable=False, answered=False, answer_kind="closest")
    assert unanswerable.status == "declined correctly" and unanswerable.good
    assert state(answerable=False).status == "false claim" and state(answerable=False).false_claim
    assert state(correct=0.0).status == "wrong answer"
    assert state(error="RuntimeError: x").status == "error"


TEXT, CITES = "answer text changed", "citations changed"


@pytest.mark.parametrize(
    ("before", "after", "tags"),
    [
        (dict(), dict(correct=0.0, answer="x [1]"), ("regression", "newly wrong", TEXT)),
        (dict(answerable=False, answered=False), dict(answerable=False),
         ("regression", "newly a false claim", "newly wrong", TEXT, CITES)),
        (dict(), dict(answered=False, answer_kind="closest", correct=0.0),
         ("newly wrong", "newly declined", TEXT, CITES)),
        (dict(answerable=False), dict(answerable=False, answered=False),
         ("newly declined", "newly right", TEXT, CITES)),
        (dict(), dict(answer="other [1]"), ("answer text changed",)),
        (dict(), dict(), ()),
    ],
)  # fmt: skip
def test_what_changed_between_two_states(before, after, tags):
    assert change_tags(state(**before), state(**after)) == tags


def test_changes_are_listed_most_severe_first_and_the_allowance_counts_them():
    before = {
        s.id: s for s in (state(item_id="a"), state(item_id="b", correct=0.0), state(item_id="c"))
    }
    after = {s.id: s for s in (state(item_id="a", answer="new"), state(item_id="b"),
                               state(item_id="c", correct=0.0), state(item_id="d"))}  # fmt: skip
    changes = diff.compare(before, after)
    assert [(c.id, c.tags[0]) for c in changes] == [
        ("c", "regression"), ("b", "newly right"), ("a", "answer text changed"), ("d", "new item"),
    ]  # fmt: skip
    assert changes[0].score_changes() == {"correct": (1.0, 0.0)}
    assert [c.id for c in Comparison("x", changes, 4).failing] == ["c"]
    assert Comparison("x", changes, 4, allowed=1).failing == []
    assert Comparison("x", changes, 4, gated=False).failing == []


def test_the_item_baseline_round_trips_and_compares_equal(tmp_path):
    path = tmp_path / "baseline.json"
    current = diff.states([report_item("a"), report_item("b", answer="x" * 900)])
    gate.save_baseline(path, {"correct": 1.0}, {"set": "x"}, current)
    stored = json.loads(path.read_text())
    assert stored["metrics"] == {"correct": 1.0} and list(stored["items"]) == ["a", "b"]
    assert stored["items"]["a"] == {
        "expected": "answer", "kind": "answer", "status": "correct", "correct": True,
        "false_claim": False, "citations": ["troops"], "scores": {"correct": 1.0},
        "answer_sha256": diff.text_sha("fast 12.000 [1]"), "answer": "fast 12.000 [1]",
    }  # fmt: skip
    assert len(stored["items"]["b"]["answer"]) == diff.TEXT_CHARS + 1  # cut, hash of it all
    loaded = gate.load_baseline_items(path)
    assert loaded is not None and diff.compare(loaded, current) == []
    assert gate.load_baseline(path) == {"correct": 1.0}


def test_a_baseline_recorded_with_other_int8_kernels_says_so(tmp_path):
    path = tmp_path / "baseline.json"
    current = diff.states([report_item("a")])
    gate.save_baseline(path, {"correct": 1.0}, {"set": "x", "int8_kernels": "avx2"}, current)
    other = gate.item_comparison(current, path, 0, kernels="avx512-vnni")
    assert other is not None and "recorded with avx2 int8 kernels, this run avx512-vnni" in (
        other.against
    )
    for kernels in ("avx2", None):
        same = gate.item_comparison(current, path, 0, kernels=kernels)
        assert same is not None and "int8 kernels" not in same.against
    assert int8_kernels("flags\t: fpu sse2 avx2 fma avx512f avx512bw\n") == "avx512"
    assert int8_kernels("flags\t: fpu avx2 avx512bw avx512_vnni\n") == "avx512-vnni"
    assert int8_kernels("flags\t: fpu avx2 avx_vnni\n") == "avx-vnni"
    assert int8_kernels("processor\t: 0\n") not in ("avx2", "avx512", "avx512-vnni")


def test_an_old_or_broken_baseline_file(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"metrics": {"correct": 0.5}}))
    assert gate.load_baseline_items(path) is None
    comparison = gate.item_comparison({}, path, 0)
    assert comparison is not None and comparison.note == gate.AGGREGATES_ONLY
    assert gate.item_comparison({}, tmp_path / "absent.json", 0) is None
    path.write_text(json.dumps({"metrics": {}, "items": {"a": {"kind": "answer"}}}))
    with pytest.raises(EvalSetError, match="expected items as"):
        gate.load_baseline_items(path)
    path.write_text("{not json")
    for read in (gate.load_baseline, gate.load_baseline_items):
        with pytest.raises(EvalSetError, match="expected a baseline JSON file, got Expecting"):
            read(path)
    path.write_text("[1, 2]")
    with pytest.raises(EvalSetError, match="expected a JSON object, got list"):
        gate.item_comparison({}, path, 0)


def run_of(*results: ItemResult) -> RunResult:
    return RunResult("s", list(results), {"correct": 0.5}, {}, {}, {})


def test_junit_fails_only_what_fails_the_gate(tmp_path):
    good = ItemResult(EvalItem("good", "q", "de", True, ("1",)), "1", True, scores={"correct": 1.0})
    bad = ItemResult(EvalItem("bad", "q", "de", True, ("1",)), "2", True, scores={"correct": 0.0})
    run = run_of(good, bad)
    current = diff.states([report_item("good"), report_item("bad", correct=0.0)])
    before = diff.states([report_item("good"), report_item("bad")])
    changes = diff.compare(before, current)
    for allowed, outcome in ((0, Failure), (1, Skipped)):
        path = write_junit(
            tmp_path / "j.xml", run, current, [], Comparison("x", changes, 2, allowed=allowed)
        )
        suite = next(iter(JUnitXml.fromfile(str(path))))
        results = {case.name: [type(r) for r in case.result] for case in suite}
        assert results == {"good": [], "bad": [outcome], "correct": []}
    path = write_junit(
        tmp_path / "j.xml", run, current, [gate.Failure("correct", 0.5, 0.9, "floor")], None
    )
    suite = next(iter(JUnitXml.fromfile(str(path))))
    results = {case.name: case.result for case in suite}
    assert isinstance(results["bad"][0], Skipped) and results["bad"][0].message.startswith(
        "wrong, not gated per item: expected an answer containing '1', got wrong answer"
    )  # no baseline: a known failure
    assert results["correct"][0].message == "correct = 0.500 is below its floor 0.900"


def test_the_changed_items_view_shows_article_text_as_text():
    hostile = state(answer='<img src=x onerror="alert(1)"> ![x](http://evil/)')
    change = diff.Change("<b>id</b>", state(), hostile, ("answer text changed",))
    comparison = Comparison("baseline b.json", [change], 1)
    page, markdown = (
        diffview.html_section(comparison),
        "\n".join(diffview.markdown_lines(comparison)),
    )
    for rendered in (page, markdown):
        assert "<img" not in rendered and "<b>" not in rendered and "](http" not in rendered
    assert "&lt;img src=x" in page
    assert diffview.number(0.123456) == "0.12" and diffview.number(1.0) == "1"


def test_compare_refuses_what_is_not_a_report(tmp_path, capsys):
    (tmp_path / "a.json").write_text("{}")
    assert main(["eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "b")]) == 2
    assert "expected a report with an 'items' list at" in capsys.readouterr().err
    assert main(["eval", "--compare", "x", "y", "--allow-item-regressions", "-1"]) == 2
    assert "expected --allow-item-regressions N >= 0, got -1" in capsys.readouterr().err
