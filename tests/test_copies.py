"""Wire copies: one story printed by several outlets is indexed once and cited once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import assistant.ingest.merge
from assistant.ingest.copies import shingles
from assistant.ingest.copystore import CopyStore, Version
from assistant.server.render import sources_html

STORY = " ".join(
    f"The harbour authority said that the ship number {i} carried {i * 7 + 3} tonnes of "
    f"grain into the port on the {i}th day of the strike, after a delay of {i + 2} hours."
    for i in range(1, 16)
)
QUESTION = "How many tonnes of grain did the ship number 4 carry into the port?"
OTHER = " ".join(
    f"Dockers in the harbour stopped work again; union leader {i} warned of a long strike "
    f"over wages while grain piled up in warehouse {i} and farmers waited for payment {i}."
    for i in range(1, 16)
)


def _write(folder: Path, name: str, source: str, published: str, text: str, url: str = ""):
    meta = f"---\nid: {name}\ntitle: Grain ships {name}\nlanguage: en\nsource: {source}\n"
    meta += f"published: {published}\n" + (f"url: {url}\n" if url else "") + "---\n"
    (folder / f"{name}.txt").write_text(meta + text, encoding="utf-8")


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    _write(folder, "a-wire", "Agency Wire", "2024-03-01", f"By staff reporters. {STORY}")
    copy = f"Harbor news from our own desk today. {STORY} Subscribe to our daily newsletter."
    _write(folder, "b-daily", "Daily Paper", "2024-03-02", copy, "https://daily.example/grain")
    _write(folder, "c-union", "Union Weekly", "2024-03-01", OTHER)
    return folder


def _store(assistant) -> CopyStore:
    return assistant.copies


def _canonical_of(store: CopyStore, article_id: str) -> str:
    row = store.copy_of(article_id)
    assert row is not None, f"expected {article_id} to be a copy, got none"
    return row.canonical_id


def _indexed(assistant) -> set[str]:
    return set(assistant.index.manifest())


def test_the_copy_is_not_indexed_and_the_answer_names_it(fake_assistant, news):
    report = fake_assistant.ingest(news)
    assert (report.added, report.merged, report.unchanged) == (2, 1, 0)
    assert report.to_dict()["merged"] == 1 and "1 merged as copies" in report.summary()
    assert _indexed(fake_assistant) == {"a-wire", "c-union"}
    answer = fake_assistant.ask(QUESTION)
    cited = [c for c in answer.citations if c.article_id == "a-wire"]
    assert cited and cited[0].also_reported_by[0].source == "Daily Paper"
    assert cited[0].also_reported_by[0].url == "https://daily.example/grain"
    assert all(r.chunk.article_id != "b-daily" for r in answer.retrieved)
    shown = json.loads(json.dumps(answer.to_dict()))
    assert shown["citations"][0]["also_reported_by"][0]["published"] == "2024-03-02"
    html = sources_html(answer)
    assert "Also reported by:" in html and 'href="https://daily.example/grain"' in html
    again = fake_assistant.ingest(news)
    assert (again.added, again.merged, again.unchanged, again.texts_embedded) == (0, 0, 3, 0)


def test_unrelated_articles_on_the_same_topic_are_kept_apart(fake_assistant, news):
    fake_assistant.ingest(news)
    assert _store(fake_assistant).copy_of("c-union") is None
    story, other = shingles(STORY), shingles(OTHER)
    assert len(story & other) / len(story | other) < 0.1


def test_a_later_version_replaces_the_text_and_keeps_the_dates(fake_assistant, news):
    fake_assistant.ingest(news)
    updated = STORY.replace("the ship number 4 carried 31", "the ship number 4 carried 32")
    _write(news, "d-wire", "agency wire", "2024-03-05", f"By staff reporters. {updated}")
    report = fake_assistant.ingest(news)
    assert (report.added, report.merged) == (1, 1)
    assert _indexed(fake_assistant) == {"d-wire", "c-union"}
    store = _store(fake_assistant)
    assert _canonical_of(store, "a-wire") == "d-wire"
    assert _canonical_of(store, "b-daily") == "d-wire"  # its copies move along
    assert [v.published for v in store.history("d-wire")] == ["2024-03-01", "2024-03-05"]
    assert [r.source for r in store.reported_by("d-wire")] == ["Daily Paper"]
    assert "32 tonnes" in fake_assistant.ask(QUESTION).citations[0].text


def test_pruning_the_canonical_promotes_its_copy(fake_assistant, news):
    fake_assistant.ingest(news)
    (news / "a-wire.txt").unlink()
    report = fake_assistant.ingest(news, prune=True)
    assert report.removed == 1 and report.added == 1
    assert _indexed(fake_assistant) == {"b-daily", "c-union"}
    store = _store(fake_assistant)
    assert store.copies() == [] and {c.article_id for c in store.canonicals()} == {
        "b-daily",
        "c-union",
    }
    assert fake_assistant.ask(QUESTION).citations[0].article_id == "b-daily"


def test_pruning_a_copy_forgets_it(fake_assistant, news):
    fake_assistant.ingest(news)
    (news / "b-daily.txt").unlink()
    report = fake_assistant.ingest(news, prune=True)
    assert report.removed == 1 and _store(fake_assistant).copies() == []
    assert _store(fake_assistant).reported_by("a-wire") == ()


def test_a_crash_between_the_chroma_write_and_the_copies_write_is_repaired(
    fake_assistant, news, monkeypatch
):
    def killed(self, decision):
        raise KeyboardInterrupt("killed after the Chroma write")

    monkeypatch.setattr(assistant.ingest.merge.CopyKeeper, "finish", killed)
    with pytest.raises(KeyboardInterrupt):
        fake_assistant.ingest(news)
    monkeypatch.undo()
    assert "a-wire" in _indexed(fake_assistant) and _store(fake_assistant).canonicals() == []
    report = fake_assistant.ingest(news)
    assert _indexed(fake_assistant) == {"a-wire", "c-union"}
    assert (report.added, report.unchanged, report.merged, report.texts_embedded) == (0, 2, 1, 0)
    store = _store(fake_assistant)
    assert {c.article_id for c in store.canonicals()} == {"a-wire", "c-union"}
    assert [(c.article_id, c.canonical_id) for c in store.copies()] == [("b-daily", "a-wire")]
    assert store.history("a-wire") == (Version("2024-03-01", "Agency Wire", ""),)


def test_a_copy_whose_chunks_survived_a_crash_loses_them(fake_assistant, news, monkeypatch):
    _write(news, "b-daily", "Daily Paper", "2024-03-02", OTHER.replace("Dockers", "Sailors"))
    fake_assistant.ingest(news)
    assert "b-daily" in _indexed(fake_assistant)  # not a copy yet
    _write(news, "b-daily", "Daily Paper", "2024-03-02", f"From our desk. {STORY} Subscribe.")
    monkeypatch.setattr(assistant.ingest.pipeline.Ingestor, "_drop", lambda self, ids: None)
    assert fake_assistant.ingest(news).merged == 1  # killed before its chunks were deleted
    monkeypatch.undo()
    assert "b-daily" in _indexed(fake_assistant)
    fake_assistant.ingest(news)
    assert _indexed(fake_assistant) == {"a-wire", "c-union"}
    assert _canonical_of(_store(fake_assistant), "b-daily") == "a-wire"


def test_also_reported_by_is_escaped_in_the_ui_and_shown_in_the_cli(fake_assistant, news):
    from dataclasses import replace

    from assistant.__main__ import render_answer
    from assistant.records import ReportedBy

    fake_assistant.ingest(news)
    answer = fake_assistant.ask(QUESTION)
    evil = ReportedBy('<img src="x">', "javascript:alert(1)", "2024-03-02", "t")
    citations = (replace(answer.citations[0], also_reported_by=(evil,)),)
    html = sources_html(replace(answer, citations=citations))
    assert "<img" not in html and "javascript:" not in html and "&lt;img" in html
    assert "also reported by: Daily Paper, 2024-03-02" in render_answer(answer)


def test_an_index_signed_by_the_rule_before_is_signed_again_as_it_is_read(fake_assistant, news):
    fake_assistant.ingest(news)
    store = _store(fake_assistant)
    with store._db:  # the signatures of the rule before: 128 MinHash values
        store._db.execute("UPDATE canon SET signature = ?", (bytes(1024),))
    _write(news, "d-other", "Other Paper", "2024-03-02", f"Our report. {STORY}")
    report = fake_assistant.ingest(news)
    assert (report.added, report.merged, report.unchanged, report.texts_embedded) == (0, 1, 3, 0)
    assert all(c.signature.startswith(b"cpy3") for c in store.canonicals())
    assert _canonical_of(store, "d-other") == "a-wire"
