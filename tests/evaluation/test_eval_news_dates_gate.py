"""The news release gate: ``evals/news-dates`` (dated questions, timelines, wire copies)
over real shared news, through the ``assistant eval`` command, on its fixed corpus of 135
articles (``ids`` in set.json; docs/evaluation.md shows that every item answers there as on
the 1,006 the items were written over). Over 30 s on a fresh clone: the gate is the
real model over real articles, and embedding them (4,799 texts) is most of the 105 s it took
on a fresh clone (2026-12-07, ONNX encoder, 2 cores, otherwise idle). The index
is cached under ``.index/eval/news-dates`` like a developer's run, so a second run of the
suite reuses it (seconds)."""

from __future__ import annotations

import json

import pytest
from conftest import shared_file

from assistant.__main__ import main

pytestmark = pytest.mark.integration


def test_news_dates_gate_passes(tmp_path, capsys, e5):
    shared_file("news-en.csv")  # skips with its reason where the shared data is absent
    status = main(["eval", "--set", "news-dates", "--out", str(tmp_path)], embedder=e5)
    captured = capsys.readouterr()
    assert status == 0, captured.out + captured.err
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["counts"] == {"items": 28, "answerable": 23, "unanswerable": 5, "errors": 0}
    metrics = report["metrics"]
    assert metrics["declined"] == 1.0  # empty windows and absent stories are declined
    assert metrics["timeline_articles"] >= 0.8 and metrics["copies_merged"] >= 0.5
    timelines = [i for i in report["items"] if i["kind"] == "timeline"]
    assert all(i["answer"].startswith(("Timeline", "Chronologie")) for i in timelines)
