"""Every metric on small hand-computed cases with exact expected values."""

from __future__ import annotations

import pytest

from assistant.evaluation import metrics as m


def supports_if_all_words(statement, passages):
    """A transparent fake judge: every word of the statement occurs in the passages."""
    text = " ".join(passages).lower()
    return all(w in text for w in statement.lower().split())


def test_normalise_drops_case_punctuation_articles_and_thousands_separators():
    assert m.normalise("Fast 12.000 Truppen, „souverän“!") == "fast 12000 truppen souverän"
    assert m.normalise("The 12,000 troops") == "12000 troops"
    assert m.normalise("Der Vertrag") == "vertrag"


def test_containment_matches_any_gold_after_normalising():
    assert m.contains_answer("Es waren fast 12,000 Soldaten.", ["12.000"]) == 1.0
    assert m.contains_answer("Es waren 120 Soldaten.", ["12", "1200"]) == 0.0  # whole tokens only
    assert m.contains_answer("Am 25. Oktober.", ["nie", "25. Oktober"]) == 1.0
    assert m.contains_answer("", ["x"]) == 0.0


def test_token_f1_is_the_best_over_golds():
    # predicted: cat sat on mat (4 tokens), gold: cat sat (2): common 2 -> P .5, R 1, F1 2/3
    assert m.token_f1("The cat sat on the mat", ["cat sat"]) == pytest.approx(2 / 3)
    assert m.token_f1("cat sat", ["dog", "cat sat"]) == 1.0
    assert m.token_f1("cat", ["dog"]) == 0.0


def test_rank_hits_and_reciprocal_rank():
    ranked = ["a", "b", "gold", "gold", "c"]
    rank = m.first_gold_rank(ranked, ["gold"])
    assert rank == 3
    assert (m.hit_at(rank, 1), m.hit_at(rank, 3), m.hit_at(rank, 5)) == (0.0, 1.0, 1.0)
    assert m.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert m.first_gold_rank(ranked, ["zzz"]) is None
    assert m.hit_at(None, 10) == 0.0 and m.reciprocal_rank(None) == 0.0


def test_citation_recall_counts_sentences_supported_by_their_citations():
    pairs = [
        ("putin spoke", ["putin spoke on friday"]),  # supported
        ("kim spoke", ["putin spoke on friday"]),  # not supported
        ("putin spoke friday", []),  # cites nothing
        ("putin friday", ["putin was here", "on friday"]),
    ]  # supported only together
    assert m.citation_recall(pairs, supports_if_all_words) == pytest.approx(2 / 4)
    assert m.citation_recall([], supports_if_all_words) is None


def test_citation_precision_follows_alce():
    pairs = [
        # 2 citations: first supports alone; second alone does not, and the first still does
        # without it -> second is irrelevant: 1 of 2
        ("putin spoke", ["putin spoke", "weather report"]),
        # both needed together: neither alone supports, but removing either breaks it: 2 of 2
        ("putin friday", ["putin was here", "on friday"]),
        # sentence unsupported by its citations: its citation counts as irrelevant: 0 of 1
        ("kim spoke", ["putin spoke"]),
    ]
    assert m.citation_precision(pairs, supports_if_all_words) == pytest.approx(3 / 5)
    assert m.citation_precision([("x", [])], supports_if_all_words) is None


def test_faithfulness_is_supported_statements_over_statements():
    context = ["putin spoke on friday in moscow"]
    statements = ["putin spoke", "in moscow", "kim spoke"]
    assert m.faithfulness(statements, context, supports_if_all_words) == pytest.approx(2 / 3)
    assert m.faithfulness(statements, [], supports_if_all_words) == 0.0
    assert m.faithfulness([], context, supports_if_all_words) is None


def test_mean_skips_missing_values_and_percentile_is_nearest_rank():
    assert m.mean([1.0, None, 0.0, 0.5]) == pytest.approx(0.5)
    assert m.mean([None]) is None
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert m.percentile(values, 50) == 50.0
    assert m.percentile(values, 95) == 100.0
    assert m.percentile([7.0], 95) == 7.0
    assert m.percentile([], 50) is None
