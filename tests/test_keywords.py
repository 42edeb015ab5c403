"""The keyword index on its own: stemmed BM25 search and filters; stems and their weights."""

import shutil
import sqlite3
from datetime import date

import pytest

from assistant.keywords import KeywordIndex
from assistant.records import Chunk, Filters
from assistant.terms import matches, term_set, term_weights, terms


def chunk(cid, article, text, language="de", source="A", published=""):
    return Chunk(
        cid,
        article,
        "v1",
        "Titel",
        text,
        language,
        0,
        0,
        len(text),
        10,
        source=source,
        published=published,
    )


def test_stems_meet_across_inflection_and_compounds():
    assert terms("Die Truppen wurden geschickt", "de") == ["trupp", "geschickt"]
    assert term_set("troops were deployed", "en") == frozenset({"troop", "deploy"})
    report = term_set("Pjöngjang wies die Truppenberichte zurück", "de")
    assert matches("trupp", report) and not matches("trupp", report, compounds=False)
    assert not matches("rat", term_set("Sie ratifizierten den Vertrag", "de"))


def test_search_ranks_by_bm25_and_applies_filters(tmp_path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.write(
        [
            chunk("a", "x", "Nordkorea schickt Truppen nach Russland.", published="2024-10-25"),
            chunk("b", "y", "Das Wetter in Russland bleibt kalt.", source="B"),
            chunk("c", "z", "North Korea sent troops.", language="en"),
        ]
    )
    q = terms("Welche Truppen schickt Nordkorea?", "de")
    assert [cid for cid, _ in index.search(q, 5)] == ["a"]
    assert {cid for cid, _ in index.search(terms("Russland", "de"), 5)} == {"a", "b"}
    assert [c for c, _ in index.search(terms("Russland", "de"), 5, Filters(source="B"))] == ["b"]
    dated = Filters(published_from=date(2024, 10, 1), published_to=date(2024, 10, 31))
    assert [c for c, _ in index.search(terms("Russland", "de"), 5, dated)] == ["a"]
    assert index.search([], 5) == [] and index.search(q, 0) == []


def test_rewriting_and_deleting_keep_one_row_per_chunk(tmp_path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.write([chunk("a", "x", "alter Text")])
    index.write([chunk("a", "x", "alter Text"), chunk("b", "x", "neuer Text")])
    assert index.chunk_ids() == {"x": {"a", "b"}} and index.count() == 2
    index.delete_stale("x", "v1")
    assert index.count() == 2  # same version: kept
    index.delete_stale("x", None)
    assert index.chunk_ids() == {} and index.search(["text"], 5) == []
    reopened = KeywordIndex(tmp_path / "k.sqlite3")
    assert reopened.count() == 0


def test_rare_words_weigh_more_than_common_ones_in_either_language():
    weights = term_weights("Wie viele Soldaten sind gefallen, sagte der Kommandeur?", "de")
    assert (
        weights["kommandeur"] > weights["soldat"] > weights["gefall"] > 0 and "der" not in weights
    )
    english = term_weights("How many soldiers were killed in Kursk?", "en")
    assert english["kursk"] > english["soldier"] > english["kill"] > 0


def test_a_crash_between_the_rows_and_the_bm25_index_is_rebuilt_on_open(tmp_path, monkeypatch):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.write([chunk("a", "x", "Nordkorea schickt Truppen.")])

    def killed(*_args, **_kwargs):
        raise RuntimeError("killed after the rows' commit")

    monkeypatch.setattr(index.terms, "apply", killed)
    with pytest.raises(RuntimeError, match="killed"):
        index.write([chunk("b", "y", "Pjöngjang nennt die Truppenberichte Gerüchte.")])
    monkeypatch.undo()
    assert index.count() == 2 and index.search(terms("Gerüchte", "de"), 5) == []  # behind
    reopened = KeywordIndex(tmp_path / "k.sqlite3")  # the stamp is one change behind
    assert [c for c, _ in reopened.search(terms("Gerüchte", "de"), 5)] == ["b"]
    assert [c for c, _ in reopened.search(terms("Truppen", "de"), 5)] == ["a"]


def test_a_missing_or_damaged_bm25_index_is_rebuilt_from_the_rows(tmp_path, caplog):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.write([chunk("a", "x", "Nordkorea schickt Truppen."), chunk("b", "y", "Kaltes Wetter.")])
    shutil.rmtree(index.terms.folder)
    assert [c for c, _ in KeywordIndex(tmp_path / "k.sqlite3").search(["wett"], 5)] == ["b"]
    (index.terms.folder / "meta.json").write_text("{not json")  # the stamp still in step
    with caplog.at_level("WARNING", logger="assistant.term_index"):
        reopened = KeywordIndex(tmp_path / "k.sqlite3")
    assert "rebuilding the keyword search index" in caplog.text
    assert [c for c, _ in reopened.search(["trupp"], 5)] == ["a"]


def test_a_file_from_the_fts5_days_keeps_its_stems(tmp_path):
    path = tmp_path / "k.sqlite3"
    with sqlite3.connect(path) as db:  # the schema up to 2026-12-07: stems in FTS5
        db.executescript(
            "CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, "
            "article_id TEXT NOT NULL, article_hash TEXT NOT NULL, language TEXT, source TEXT, "
            "published TEXT, chunk_count INTEGER, sentence_ids TEXT);"
            "CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, tokenize='unicode61');"
            "INSERT INTO chunks VALUES (1, 'a', 'x', 'v1', 'de', 'A', '', 1, 'a:0');"
            "INSERT INTO chunk_terms(rowid, terms) VALUES (1, 'nordkorea trupp');"
            "INSERT INTO chunks VALUES (2, 'b', 'y', 'v1', 'de', 'A', '', 1, 'b:0');"
        )
    index = KeywordIndex(path)
    assert [c for c, _ in index.search(["trupp"], 5)] == ["a"]
    assert index.incomplete() == {"y"}  # no stems kept: written again by the next ingest


def test_ties_are_broken_by_chunk_id_whatever_the_order_written(tmp_path):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.write([chunk(c, c, "Truppen an der Grenze.") for c in ("d", "b", "e", "a", "c")])
    assert [c for c, _ in index.search(["trupp"], 3)] == ["a", "b", "c"]


def test_a_bm25_index_with_damaged_segments_is_rebuilt(tmp_path, caplog, monkeypatch):
    index = KeywordIndex(tmp_path / "k.sqlite3")
    index.write([chunk("a", "x", "Nordkorea schickt Truppen."), chunk("b", "y", "Kaltes Wetter.")])
    for segment in index.terms.folder.glob("*.idx"):
        segment.write_bytes(b"\0" * 7)  # meta.json and the stamp stay intact: tantivy panics
    reopened = KeywordIndex(tmp_path / "k.sqlite3")
    assert "unreadable" in caplog.text and "rebuilding" in caplog.text
    assert [c for c, _ in reopened.search(["trupp"], 5)] == ["a"]
    # found unreadable while serving: built again from the rows, then asked again
    real, calls = reopened.terms.search, []

    def unreadable_once(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(reopened.terms, "search", unreadable_once)
    rebuilt = []
    monkeypatch.setattr(reopened.terms, "rebuild", lambda rows: rebuilt.append(rows))
    assert [c for c, _ in reopened.search(["wett"], 5)] == ["b"]
    assert len(calls) == 2 and len(rebuilt) == 1
