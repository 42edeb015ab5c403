"""Timeline and wire-copy metrics: what counts, and how the runner scores an item with them."""

from __future__ import annotations

from types import SimpleNamespace

from assistant.evaluation import metrics as m
from assistant.evaluation.runner import ItemResult, score_story
from assistant.evaluation.sets import EvalItem, item_from_record


def test_timeline_articles_needs_two_gold_articles_in_order():
    assert m.timeline_articles(["a", "b", "x"], ["a", "b"], ordered=True) == 1.0
    assert m.timeline_articles(["a", "x"], ["a", "b"], ordered=True) == 0.0
    assert m.timeline_articles(["a", "b"], ["a", "b"], ordered=False) == 0.0
    assert m.timeline_precision(["a", "b", "x", "a"], ["a", "b"]) == 2 / 3
    assert m.timeline_precision([], ["a"]) is None


def test_copies_merged_cites_one_article_of_the_story_and_lists_the_copy():
    assert m.copies_merged(["c"], ["c", "k"], ["k"], ["k"]) == 1.0
    assert m.copies_merged(["c", "k"], ["c", "k"], ["k"], ["k"]) == 0.0  # both printed
    assert m.copies_merged(["c"], ["c", "k"], ["k"], []) == 0.0  # copy not listed
    assert m.copies_merged(["v2"], ["v1", "v2"], [], []) == 1.0  # a same-source version


def cited(article: str, day: str, reported: tuple[str, ...] = ()) -> dict:
    return {"article_id": article, "published": day, "also_reported_by": list(reported)}


def test_the_runner_scores_a_timeline_item_by_the_order_it_quotes():
    item = EvalItem("t", "q", "en", True, ("x",), ("a", "b"), kind="timeline")
    ordered = ItemResult(item, answered=True)
    ordered.citations = [cited("a", "2017-02-07"), cited("b", "2017-02-09")]
    score_story(ordered, SimpleNamespace(timeline=True))
    assert ordered.scores == {"timeline_articles": 1.0, "timeline_precision": 1.0}
    backwards = ItemResult(item, answered=True)
    backwards.citations = [cited("b", "2017-02-09"), cited("a", "2017-02-07")]
    score_story(backwards, SimpleNamespace(timeline=True))
    assert backwards.scores["timeline_articles"] == 0.0
    plain = ItemResult(item, answered=True, citations=ordered.citations)
    score_story(plain, SimpleNamespace(timeline=False))  # not answered as a timeline
    assert plain.scores["timeline_articles"] == 0.0


def test_the_runner_scores_a_story_item_and_the_set_reads_its_fields():
    item = item_from_record(
        {"id": "c", "question": "q", "language": "en", "answerable": True, "answers": ["x"],
         "story": ["en-1", "en-2"], "also_reported_by": ["en-2"]},
        "items.jsonl:1",
    )  # fmt: skip
    assert (item.story, item.also_reported_by) == (("en-1", "en-2"), ("en-2",))
    result = ItemResult(item, answered=True, citations=[cited("en-1", "", ("en-2",))])
    score_story(result, SimpleNamespace(timeline=False))
    assert result.scores == {"copies_merged": 1.0}
