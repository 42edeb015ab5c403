"""The runner and reports on the fake assistant; a whole XQuAD-format run through the CLI
code on the hashing embedder (fast, no model)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from conftest import write_fake_model

from assistant import load_settings
from assistant.__main__ import _parser
from assistant.evaluation.command import run_eval
from assistant.evaluation.judges import OfflineJudge
from assistant.evaluation.runner import CachedEmbedder, run_items, vector_file
from assistant.evaluation.sets import FULL, EvalItem, EvalSet
from assistant.providers import HashingEmbedder
from assistant.records import Filters
from tests.evaluation.test_eval_sets import write_squad


def items():
    return [
        EvalItem(
            "num",
            "Wie viele Soldaten hat Nordkorea nach Russland geschickt?",
            "de",
            True,
            ("12.000",),
            ("troops",),
        ),
        EvalItem(
            "storm",
            "How strong were the winds of the storm on the coast?",
            "en",
            True,
            ("140 km/h",),
            ("weather",),
        ),
        EvalItem("empty", " ", "de", True, ("x",), ("troops",)),  # raises QuestionError
        EvalItem("off", "Wer gewann die Fußball Weltmeisterschaft 1954 in Bern?", "de", False),
    ]


@pytest.fixture
def run(fake_assistant, corpus_dir):
    fake_assistant.ingest(corpus_dir)
    eval_set = EvalSet("tiny", items(), {FULL: [corpus_dir]})
    return run_items({FULL: fake_assistant}, eval_set, OfflineJudge(), None, {"judge": "offline"})


def test_runner_scores_each_item_and_records_errors(run):
    by_id = {r.item.id: r for r in run.items}
    assert by_id["num"].gold_rank == 1 and by_id["num"].scores["hit@1"] == 1.0
    assert by_id["num"].scores["correct"] == 1.0  # the quoted sentence holds "12.000"
    assert by_id["num"].scores["citation_precision"] == 1.0
    assert by_id["storm"].ranked_articles[0] == "weather"
    assert by_id["empty"].error.startswith("QuestionError")
    assert by_id["empty"].scores["answered"] == 0.0 and by_id["empty"].scores["hit@5"] == 0.0
    assert by_id["off"].scores["declined"] == 1.0
    assert run.counts == {"items": 4, "answerable": 3, "unanswerable": 1, "errors": 1}
    assert run.metrics["error"] == pytest.approx(0.25)
    assert run.metrics["hit@1"] == pytest.approx(2 / 3)  # the failed item counts as a miss
    assert set(run.latency_ms) >= {"embed_query", "search", "answer", "cite", "total"}


def test_an_unexpected_exception_is_a_failed_item(fake_assistant, corpus_dir, monkeypatch):
    fake_assistant.ingest(corpus_dir)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(fake_assistant, "ask", broken)
    eval_set = EvalSet("tiny", items()[:2], {FULL: [corpus_dir]})
    run = run_items({FULL: fake_assistant}, eval_set, OfflineJudge(), None, {})
    assert [r.error for r in run.items] == ["RuntimeError: boom"] * 2
    assert run.metrics["answered"] == 0.0


def test_cached_embedder_embeds_each_text_once_and_persists(tmp_path):
    calls = []

    class Counting(HashingEmbedder):
        def embed_batch(self, texts):
            calls.append(list(texts))
            return super().embed_batch(texts)

    cached = CachedEmbedder(Counting(), tmp_path / "vectors.npz")
    first = cached.embed_passages(["a b", "c d", "a b"])
    again = cached.embed_passages(["c d"])
    assert calls == [["a b", "c d"]] and np.allclose(first[1], again[0])
    cached.save()
    reloaded = CachedEmbedder(Counting(), tmp_path / "vectors.npz")
    assert np.allclose(reloaded.embed_passages(["a b"])[0], first[0]) and len(calls) == 1


def test_xquad_run_end_to_end_writes_reports_and_applies_floors(tmp_path, capsys):
    write_squad(tmp_path / "xquad-dev.de.json", ["Alpha", "Beta", "Gamma", "Delta"])
    settings = load_settings(
        embeddings="fake",
        eval_data_dir=tmp_path,
        answer_model=write_fake_model(tmp_path / "answer-model.json"),
    )
    args = _parser().parse_args(
        [
            "eval",
            "--set",
            "xquad-de",
            "--index",
            str(tmp_path / "ix"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    status = run_eval(args, settings, embedder=HashingEmbedder())
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    # Delta's 2 questions against the corpus without Delta; the questions of every
    # article's second paragraph against the corpus without that paragraph (same topic)
    assert len(report["items"]) == 8 + 2 + 3
    removed = [i for i in report["items"] if i["variant"] == "removed"]
    topic = [i for i in report["items"] if i["variant"] == "topic"]
    assert len(removed) == 2 and len(topic) == 3
    assert all(not i["expected_answerable"] for i in removed + topic)
    assert {"declined_removed", "declined_topic"} <= set(report["metrics"])
    assert report["gate"]["passed"] == (status == 0)
    assert "<svg" in (tmp_path / "out" / "report.html").read_text()
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "## Worst items first" in markdown and "| hit@5 |" in markdown
    assert (
        f"gate {'passed' if status == 0 else 'FAILED'} for set xquad-de" in capsys.readouterr().out
    )


def test_report_breaks_results_down_by_kind():
    from assistant.evaluation.report import kind_rows
    from assistant.evaluation.runner import ItemResult

    results = [
        ItemResult(
            EvalItem("a", "q", "de", True, kind="number"), scores={"answered": 1.0, "correct": 1.0}
        ),
        ItemResult(
            EvalItem("b", "q", "de", True, kind="number"), scores={"answered": 1.0, "correct": 0.0}
        ),
        ItemResult(EvalItem("c", "q", "en", False), scores={"declined": 0.0}),
    ]
    assert kind_rows(results) == ["| en | 1 | - | 0/1 | - |", "| number | 2 | 2/2 | - | 1/2 |"]


def test_an_items_as_of_reaches_the_assistant_and_sets_its_date_window(fake_assistant, corpus_dir):
    """ "last week" counts from the item's as_of: the week of the storm article (2024-11-02)
    finds it, a week with no article is declined."""
    fake_assistant.ingest(corpus_dir)
    question = "How strong were the winds of the storm on the coast last week?"
    dated = [
        EvalItem(
            "week", question, "en", True, ("140 km/h",), ("weather",), as_of=date(2024, 11, 6)
        ),
        EvalItem("empty", question, "en", False, as_of=date(2024, 11, 20)),
    ]
    asked = []
    ask = fake_assistant.ask
    fake_assistant.ask = lambda request, *a, **k: asked.append(request) or ask(request, *a, **k)
    run = run_items({FULL: fake_assistant}, EvalSet("dated", dated, {}), OfflineJudge(), 3, {})
    assert [(r.as_of, r.top_k) for r in asked] == [(date(2024, 11, 6), 3), (date(2024, 11, 20), 3)]
    by_id = {r.item.id: r for r in run.items}
    assert by_id["week"].ranked_articles == ["weather"] and by_id["week"].scores["correct"] == 1.0
    assert by_id["empty"].scores["declined"] == 1.0 and not by_id["empty"].error


def test_an_items_filters_and_timeline_reach_the_assistant(fake_assistant, corpus_dir):
    fake_assistant.ingest(corpus_dir)
    english = Filters(language="en")
    item = EvalItem("f", "Wie viele Soldaten?", "de", False, filters=english, timeline=False)
    asked = []
    ask = fake_assistant.ask
    fake_assistant.ask = lambda request, *a, **k: asked.append(request) or ask(request, *a, **k)
    run = run_items({FULL: fake_assistant}, EvalSet("f", [item], {}), OfflineJudge(), None, {})
    assert [(r.filters, r.timeline) for r in asked] == [(english, False)]
    assert run.items[0].ranked_articles == ["weather"]  # the German article is filtered out


def test_a_cached_eval_index_of_other_chunk_settings_is_rebuilt(tmp_path, capsys):
    """A chunking change must not be measured on the old chunks: the cached index refuses
    the new settings and ``assistant eval`` builds it anew, saying so."""
    write_squad(tmp_path / "xquad-dev.de.json", ["Alpha", "Beta"])
    argv = ["eval", "--set", "xquad-de", "--no-removed", "--index", str(tmp_path / "ix"),
            "--out", str(tmp_path / "out")]  # fmt: skip
    model = write_fake_model(tmp_path / "answer-model.json")
    for tokens in (200, 40):
        settings = load_settings(
            embeddings="fake", eval_data_dir=tmp_path, answer_model=model, chunk_tokens=tokens,
            chunk_overlap=10,
        )  # fmt: skip
        run_eval(_parser().parse_args(argv), settings, embedder=HashingEmbedder())
    err = capsys.readouterr().err
    assert "[full] rebuilding the cached index: " in err
    assert "chunk_tokens: index built with 200, settings say 40" in err
    from assistant.stores import open_stores

    index, _ = open_stores(settings.model_copy(update={"index_dir": tmp_path / "ix/index-full"}),
                           HashingEmbedder())  # fmt: skip
    assert max(m["token_count"] for m in index.chunk_metadatas()[1]) <= 40


def test_the_vector_cache_is_one_file_per_embedder_and_version(tmp_path):
    first, other = HashingEmbedder(), HashingEmbedder()
    other.version = "2"
    assert vector_file(tmp_path, first) != vector_file(tmp_path, other)
    cached = CachedEmbedder(first, tmp_path / "v.npz")
    cached.embed_passages(["a b"])
    cached.save()
    assert len(CachedEmbedder(first, tmp_path / "v.npz")._vectors) == 1
    # a file written for another version is not read, even at the same path
    assert CachedEmbedder(other, tmp_path / "v.npz")._vectors == {}
