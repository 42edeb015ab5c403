"""The keyword index on its own: stemmed BM25 search and filters; stems and their weights."""

from datetime import date

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
