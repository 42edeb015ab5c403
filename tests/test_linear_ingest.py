"""Ingest work grows with the size of the input, never with its square; too large is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assistant.ingest.chunking import Chunker
from assistant.records import Article
from assistant.sentences import BLOCK_CHARS, split_sentences

pytestmark = pytest.mark.reliability

WORDS = "Regierung sagte am Montag in Berlin neue Gesetze Handel Truppen Grenze".split()


def _paragraph(chars: int, punctuated: bool = True) -> str:
    words, out, size, i = WORDS, [], 0, 0
    while size < chars:
        sentence = " ".join(words[(i + k) % len(words)] for k in range(9 + i % 7))
        out.append(sentence + ("." if punctuated else ""))
        size += len(out[-1]) + 1
        i += 1
    return " ".join(out)[:chars]


def _split_seconds(text: str) -> float:
    article = Article(id="big", title="Big", text=text, language="de")
    started = time.perf_counter()
    Chunker().split(article)
    return time.perf_counter() - started


@pytest.mark.parametrize("punctuated", [True, False], ids=["sentences", "no-punctuation"])
def test_ten_times_the_text_costs_about_ten_times_the_time(punctuated):
    small = _split_seconds(_paragraph(50_000, punctuated))
    large = _split_seconds(_paragraph(500_000, punctuated))
    # linear gives ~10x; the unbounded splitter and cutter gave 50-100x
    assert large < 25 * small, (small, large)


def test_sentences_of_a_long_paragraph_cover_it_in_order_without_gaps_inside_words():
    text = _paragraph(3 * BLOCK_CHARS + 123)
    spans = split_sentences(text, "de")
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert all(text[s.start : s.end] == text[s.start : s.end].strip() for s in spans)
    covered = "".join(text[s.start : s.end] for s in spans)
    assert covered.replace(" ", "") == text.replace(" ", "")


def test_short_paragraphs_split_exactly_as_before():
    text = "Der Rat tagte am 25. Oktober in Berlin. Er beschloss neue Regeln. Sie gelten ab Mai."
    assert [text[s.start : s.end] for s in split_sentences(text, "de")] == [
        "Der Rat tagte am 25. Oktober in Berlin.",
        "Er beschloss neue Regeln.",
        "Sie gelten ab Mai.",
    ]


def test_a_ten_megabyte_line_is_refused_in_seconds_and_its_neighbour_indexed(
    fake_assistant, tmp_path: Path
):
    folder = tmp_path / "in"
    folder.mkdir()
    huge = {"id": "huge", "title": "Huge", "text": _paragraph(10_000_000), "language": "de"}
    small = {"id": "small", "title": "Small", "text": "Der Sturm kam am Montag.", "language": "de"}
    (folder / "feed.jsonl").write_text(
        json.dumps(huge) + "\n" + json.dumps(small) + "\n", encoding="utf-8"
    )
    started = time.perf_counter()
    report = fake_assistant.ingest(folder)
    assert time.perf_counter() - started < 30
    assert report.added == 1
    [skipped] = report.skipped
    assert skipped.where.endswith("feed.jsonl")
    assert "expected at most 200,000 characters of text, got 10,000,000" in skipped.reason
    assert "ASSISTANT_MAX_ARTICLE_CHARS" in skipped.reason
    assert set(fake_assistant.index.manifest()) == {"small"}
