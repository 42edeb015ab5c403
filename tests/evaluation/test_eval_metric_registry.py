"""Metric names live in one registry: the runner scores, the gate gates, the report
describes and the XQuAD floors name exactly the registered metrics."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.evaluation import gate
from assistant.evaluation import metrics as m
from assistant.evaluation.command import XQUAD_FLOORS
from assistant.evaluation.report import metric_rows
from assistant.evaluation.runner import ItemResult, RunResult, score_answer
from assistant.evaluation.sets import REMOVED, TOPIC, EvalItem

ROOT = Path(__file__).resolve().parents[2]


def test_the_registered_names_are_the_report_and_baseline_keys():
    assert [metric.name for metric in m.METRICS] == [
        "hit@1",
        "hit@5",
        "hit@10",
        "mrr",
        "answered",
        "declined",
        "declined_removed",
        "declined_topic",
        "correct",
        "f1",
        "citation_recall",
        "citation_precision",
        "faithfulness",
        "timeline_articles",
        "timeline_precision",
        "copies_merged",
        "false_claim",
        "closest",
        "helpful",
        "wrong_absence",
        "lead_precision",
        "error",
    ]
    assert tuple(n for n in m.BY_NAME if n not in ("error", "closest")) == m.GATED
    stored = json.loads((ROOT / "evals/seed/baseline.json").read_text())["metrics"]
    assert set(stored) <= set(m.GATED)


def test_decline_rates_per_variant_are_registered_and_gated():
    assert (m.declined_in(REMOVED), m.declined_in(TOPIC)) == (
        m.DECLINED_REMOVED.name,
        m.DECLINED_TOPIC.name,
    )
    failures = gate.check(
        {"declined_removed": 0.90, "declined_topic": 0.70},
        {"declined_removed": 0.92},
        {"declined_topic": 0.80},
        0.05,
    )
    assert [(f.metric, f.why, f.limit) for f in failures] == [
        ("declined_removed", "floor", 0.92),
        ("declined_topic", "baseline", 0.75),
    ]


def test_the_runner_scores_a_removed_article_decline_under_its_registered_name():
    result = ItemResult(EvalItem("x#removed", "q", "de", False, variant=REMOVED))
    score_answer(result, answer=object())  # an answer that declined
    assert result.scores == {
        "declined": 1.0,
        "declined_removed": 1.0,
        "false_claim": 0.0,
        "closest": 0.0,
        "error": 0.0,
    }


def test_a_lead_on_an_unanswerable_question_is_a_wrong_lead():
    """ "How many fell?" answered with the troops sent: a false claim, and its lead value
    counts against lead precision (it presents a value the articles don't give)."""
    unanswerable = ItemResult(EvalItem("x", "q", "de", False))
    unanswerable.answered, unanswerable.lead = True, "fast 12.000 Truppen"
    score_answer(unanswerable, answer=object())
    assert (unanswerable.scores["false_claim"], unanswerable.scores["lead_precision"]) == (1, 0)
    answerable = ItemResult(EvalItem("y", "q", "de", True, answers=("12.000",)))
    answerable.answered, answerable.lead = True, "fast 12.000 Truppen"
    score_answer(answerable, answer=object())
    assert answerable.scores["lead_precision"] == 1.0


def test_the_report_describes_every_registered_metric():
    run = RunResult("s", [], {metric.name: 0.5 for metric in m.METRICS}, {}, {}, {})
    rows = metric_rows(run, None)
    assert [(name, meaning) for name, _, _, meaning in rows] == [
        (metric.name, metric.description) for metric in m.METRICS
    ]
    assert all(len(metric.description) > 20 for metric in m.METRICS)


def test_xquad_floors_are_the_issue_targets():
    assert XQUAD_FLOORS == {
        "de": {
            "hit@1": 0.95,
            "hit@5": 0.96,
            "correct": 0.85,
            "answered": 0.92,
            "declined_removed": 0.92,
            "declined_topic": 0.80,
            "citation_precision": 0.99,
            "faithfulness": 0.99,
        },
        "en": {
            "hit@1": 0.90,
            "hit@5": 0.92,
            "correct": 0.75,
            "answered": 0.92,
            "declined_removed": 0.92,
            "declined_topic": 0.80,
            "citation_precision": 0.99,
            "faithfulness": 0.99,
        },
    }
    assert all(name in m.GATED for floors in XQUAD_FLOORS.values() for name in floors)
