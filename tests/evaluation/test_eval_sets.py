"""Eval set loaders: JSONL sets (the committed seed set included) and XQuAD."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import conftest
import pytest
from conftest import shared_file

from assistant import load_settings
from assistant.evaluation.sets import (
    FULL,
    REMOVED,
    TOPIC,
    EvalSetError,
    load_jsonl_items,
    load_set_dir,
    news_distractors,
)
from assistant.evaluation.xquad import XquadSpec, build_xquad_set, xquad_article_id

ROOT = Path(__file__).resolve().parents[2]


def write_squad(path: Path, titles: list[str], language: str = "de") -> Path:
    """A tiny SQuAD-format file: two paragraphs per title, one question per paragraph."""
    data = [
        {
            "title": t,
            "paragraphs": [
                {
                    "context": f"{t} Absatz {n}: Die Zahl ist {i * 10 + n}.",
                    "qas": [
                        {
                            "id": f"{t}-{n}",
                            "question": f"Welche Zahl nennt {t} {n}?",
                            "answers": [{"text": str(i * 10 + n), "answer_start": 0}],
                        }
                    ],
                }
                for n in range(2)
            ],
        }
        for i, t in enumerate(titles)
    ]
    path.write_text(json.dumps({"version": "1.1", "data": data}), encoding="utf-8")
    return path


def test_jsonl_items_are_validated(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(
        '{"id": "a", "question": "Q?", "language": "de", "answerable": true, '
        '"answers": ["x"], "gold_articles": ["doc"], "history": [["q0", "a0"]]}\n\n'
        '{"id": "b", "question": "Q2?", "language": "en", "answerable": false}\n'
    )
    first, second = load_jsonl_items(path)
    assert first.history == (("q0", "a0"),) and first.gold_articles == ("doc",)
    assert second.answerable is False and second.variant == FULL
    path.write_text('{"id": "a", "question": "Q?", "language": "de", "answerable": true}\n')
    with pytest.raises(EvalSetError, match="needs at least one gold answer"):
        load_jsonl_items(path)
    path.write_text('{"id": "a", "question": "Q?", "language": "de", "answerable": false}\n' * 2)
    with pytest.raises(EvalSetError, match="duplicate id 'a'"):
        load_jsonl_items(path)


def test_the_seed_set_covers_what_the_issue_asks_for():
    seed = load_set_dir(ROOT / "evals" / "seed", ROOT)
    kinds = {item.kind for item in seed.items}
    assert {
        "number",
        "date",
        "paraphrase",
        "follow-up",
        "cross-lingual",
        "unanswerable",
        "reported-claim",
    } <= kinds
    assert {item.language for item in seed.items} == {"de", "en"}
    assert seed.corpora == {FULL: [ROOT / "corpus"]}
    assert all(item.gold_articles for item in seed.items if item.answerable)
    assert any(item.history for item in seed.items)
    assert seed.baseline.is_file() and seed.floors


def test_xquad_set_with_removed_articles(tmp_path):
    titles = ["A", "B", "C", "D", "E", "F", "G", "H"]  # every 4th title is held out: D, H
    squad = write_squad(tmp_path / "xquad-dev.de.json", titles)
    built = build_xquad_set("xquad-de", XquadSpec(squad, squad, "de"), tmp_path / "cache")
    answerable = [i for i in built.items if i.answerable]
    removed = [i for i in built.items if i.variant == REMOVED]
    topic = [i for i in built.items if i.variant == TOPIC]
    assert len(answerable) == 16 and answerable[0].gold_articles == (xquad_article_id("A", 0),)
    assert {i.id for i in removed} == {f"{t}-{n}#removed" for t in "DH" for n in range(2)}
    # same topic: the second paragraph of every kept article is removed, its siblings stay
    assert {i.id for i in topic} == {f"{t}-1#topic" for t in "ABCEFG"}
    assert not any(i.answerable for i in removed + topic)
    kept = (tmp_path / "cache" / "corpus-removed" / "xquad.jsonl").read_text()
    assert "xquad-D-0" not in kept and "xquad-C-1" in kept
    same_topic = (tmp_path / "cache" / "corpus-topic" / "xquad.jsonl").read_text()
    assert "xquad-C-1" not in same_topic and "xquad-C-0" in same_topic
    limited = build_xquad_set(
        "x", XquadSpec(squad, squad, "de", limit=4, removed=False), tmp_path / "cache2"
    )
    assert [i.id for i in limited.items] == ["A-0", "C-0", "E-0", "G-0"]  # every 4th of 16


def test_news_distractors_read_the_10kgnad_format(tmp_path):
    csv_path = tmp_path / "news.csv"
    csv_path.write_text(
        "Sport;'Der Verein gewann. Mehr dazu, später.'\nWeb;'Ein Text; mit Semikolon'\n",
        encoding="utf-8",
    )
    records = news_distractors(csv_path)
    assert [r["id"] for r in records] == ["gnad-0", "gnad-1"]
    assert (
        records[1]["text"] == "Ein Text; mit Semikolon"
        and records[0]["title"] == "Der Verein gewann"
    )
    assert len(news_distractors(csv_path, limit=1)) == 1


def test_real_xquad_files_load_as_sets(tmp_path):
    de, en = shared_file("xquad-dev.de.json"), shared_file("xquad-dev.en.json")
    built = build_xquad_set("xquad-en", XquadSpec(en, de, "en", removed=True), tmp_path)
    answerable = [i for i in built.items if i.answerable]
    assert len(answerable) == 612
    contexts = (tmp_path / "corpus-full" / "xquad.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(contexts) == 120 and json.loads(contexts[0])["language"] == "de"
    held = {i.kind for i in built.items if i.variant == REMOVED}
    assert len(held) == 6  # whole Wikipedia articles removed for the decline test
    topic = [i for i in built.items if i.variant == TOPIC]
    assert len(topic) > 100 and not {i.kind for i in topic} & held


def test_cross_lingual_items_take_gold_answers_from_the_contexts_language_first(tmp_path):
    de = write_squad(tmp_path / "xquad-dev.de.json", ["A"])
    en_data = json.loads(de.read_text())
    for paragraph in en_data["data"][0]["paragraphs"]:
        paragraph["qas"][0]["question"] = "Which number?"
        paragraph["qas"][0]["answers"] = [{"text": "number one", "answer_start": 0}]
    en = tmp_path / "xquad-dev.en.json"
    en.write_text(json.dumps(en_data), encoding="utf-8")
    built = build_xquad_set("xquad-en", XquadSpec(en, de, "en", removed=False), tmp_path / "c")
    assert built.items[0].question == "Which number?"
    assert built.items[0].answers == ("0", "number one")  # German span first, then English


def test_an_items_as_of_is_a_date_and_a_bad_one_names_the_item(tmp_path):
    path = tmp_path / "items.jsonl"
    line = '{"id": "%s", "question": "Q?", "language": "en", "answerable": false%s}\n'
    path.write_text(line % ("a", ', "as_of": "2017-03-10"') + line % ("b", ""))
    first, second = load_jsonl_items(path)
    assert first.as_of == date(2017, 3, 10) and second.as_of is None
    for bad in ('"10.03.2017"', '"2017-02-30"', "20170310"):
        path.write_text(line % ("late", f', "as_of": {bad}'))
        with pytest.raises(EvalSetError, match=r"items.jsonl:1: item 'late': expected as_of"):
            load_jsonl_items(path)


def test_an_items_filters_and_timeline_are_read_and_a_bad_filter_names_the_item(tmp_path):
    path = tmp_path / "items.jsonl"
    record = {"id": "f", "question": "Q?", "language": "de", "answerable": False}
    path.write_text(json.dumps(record | {"filters": {"language": "en"}, "timeline": True}))
    (item,) = load_jsonl_items(path)
    assert item.filters.language == "en" and item.timeline is True
    path.write_text(json.dumps(record | {"filters": {"language": "fr"}}))
    with pytest.raises(EvalSetError, match="item 'f': expected the language filter"):
        load_jsonl_items(path)
    path.write_text(json.dumps(record | {"filters": {"lang": "de"}}))
    with pytest.raises(EvalSetError, match="item 'f'"):
        load_jsonl_items(path)


def test_a_corpus_path_starting_with_dot_slash_is_the_sets_own(tmp_path):
    folder = tmp_path / "evals" / "mine"
    folder.mkdir(parents=True)
    (folder / "items.jsonl").write_text("")
    corpora = {"full": ["./corpus", "corpus"]}
    (folder / "set.json").write_text(json.dumps({"corpora": corpora}))
    loaded = load_set_dir(folder, tmp_path / "root")
    assert loaded.corpora == {"full": [folder / "corpus", tmp_path / "root" / "corpus"]}


def write_news_set(tmp_path: Path, ids: list[str], gold: str = "en-2") -> tuple[Path, Path]:
    """A news-en.csv of five rows and a set over it whose fixed corpus is ``ids``."""
    import csv

    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    with open(data / "news-en.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["article_id", "publish_date", "article_source_link", "title",
                         "subtitle", "text"])  # fmt: skip
        for n in range(1, 6):
            writer.writerow([n, "2017/2/7", f"http://site{n}.example/a", f"T{n}", "", f"Text {n}."])
    folder = tmp_path / "news"
    folder.mkdir(exist_ok=True)
    spec = {"news-en.csv": {"first": 3, "also": ["en-5"], "ids": ids}}
    manifest = {"corpora": {"full": []}, "shared_corpus": spec}
    (folder / "set.json").write_text(json.dumps(manifest), encoding="utf-8")
    item = {"id": "q", "question": "Q?", "language": "en", "answerable": True,
            "answers": ["Text"], "gold_articles": [gold]}  # fmt: skip
    (folder / "items.jsonl").write_text(json.dumps(item) + "\n", encoding="utf-8")
    return folder, data


def _corpus_ids(eval_set) -> list[str]:
    (folder,) = eval_set.corpora[FULL]
    lines = (folder / "news-en.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines]


def test_a_fixed_corpus_holds_exactly_its_ids_and_the_full_one_first_and_also(tmp_path):
    folder, data = write_news_set(tmp_path, ["en-2", "en-5"])
    fixed = load_set_dir(folder, ROOT, tmp_path / "fixed", data)
    assert _corpus_ids(fixed) == ["en-2", "en-5"]
    whole = load_set_dir(folder, ROOT, tmp_path / "whole", data, full=True)
    assert _corpus_ids(whole) == ["en-1", "en-2", "en-3", "en-5"]


def test_a_fixed_corpus_without_a_gold_article_is_refused(tmp_path):
    folder, data = write_news_set(tmp_path, ["en-1", "en-5"], gold="en-2")
    with pytest.raises(EvalSetError, match=r"hold every gold, story and copy article, got 1 "
                       r"missing: en-2"):  # fmt: skip
        load_set_dir(folder, ROOT, tmp_path / "c", data)
    assert load_set_dir(folder, ROOT, tmp_path / "c", data, full=True).items  # full: no check


def test_the_tests_and_assistant_eval_find_the_shared_data_the_same_one_way(tmp_path, monkeypatch):
    """With the data only where ``ASSISTANT_EVAL_DATA_DIR`` says, the gate's skip check and
    ``assistant eval`` look in the same place (a separate test variable made the gate pass
    its check and then fail to find the data)."""
    elsewhere = tmp_path / "data"
    elsewhere.mkdir()
    (elsewhere / "news-en.csv").write_text("id,title,text\n", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_EVAL_DATA_DIR", str(elsewhere))
    assert conftest.shared_file("news-en.csv") == elsewhere / "news-en.csv"
    assert load_settings().eval_data_dir == elsewhere


def test_the_eval_cache_lives_under_the_index_dir(tmp_path):
    """README: everything the assistant writes but reports is under INDEX_DIR."""
    import argparse

    from assistant.evaluation.command import cache_dir

    settings = load_settings(index_dir=tmp_path / "kept")
    args = argparse.Namespace(
        index=None, set_name="news-dates", full_corpus=False, distractors=None, no_removed=False
    )
    assert cache_dir(args, settings) == tmp_path / "kept" / "eval" / "news-dates"
    args.set_name = "xquad-de"
    assert cache_dir(args, settings) == tmp_path / "kept" / "eval" / "xquad-all-r"
