"""The one support check (lexical, then semantic) that the citation checker and the offline
judge share: its two paths, its single embedding batch, and that both really call it."""

from __future__ import annotations

import pytest

from assistant import citations
from assistant.citations import CitationChecker, Support, support
from assistant.evaluation import judges
from assistant.evaluation.judges import OfflineJudge
from assistant.providers import HashingEmbedder
from assistant.records import Chunk, Claim, Retrieved, Span

PASSAGE = "The storm hit the coast on Saturday. Winds reached 140 km/h."
SENTENCES = ["The storm hit the coast on Saturday.", "Winds reached 140 km/h."]
REORDERED = "coast the storm hit the Saturday on"  # same words: hashing cosine 1.0


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, recording every batch it is asked to embed."""

    def __init__(self):
        super().__init__()
        self.batches: list[list[str]] = []

    def embed_batch(self, texts):
        self.batches.append(list(texts))
        return super().embed_batch(texts)


def test_lexical_support_needs_no_embedding():
    embedder = CountingEmbedder()
    assert support("The storm hit the coast.", [PASSAGE], embedder) == Support(1.0, "lexical")
    assert embedder.batches == []


def test_semantic_support_embeds_claim_and_passage_sentences_in_one_batch():
    embedder = CountingEmbedder()
    found = support(REORDERED, [PASSAGE], embedder, lexical_threshold=1.01, semantic_threshold=0.99)
    assert found.how == "semantic" and found.score == pytest.approx(1.0)
    assert embedder.batches == [[REORDERED, *SENTENCES]]


def test_given_sentences_are_used_instead_of_splitting():
    embedder = CountingEmbedder()
    support(REORDERED, [PASSAGE], embedder, 1.01, 0.99, sentences=["Winds reached 140 km/h."])
    assert embedder.batches == [[REORDERED, "Winds reached 140 km/h."]]


def test_no_support_reports_the_best_score_found():
    claim = "The storm flooded the harbour and the town."  # 1 of 4 content words: storm
    assert support(claim, [PASSAGE]) == Support(0.25, "none")
    found = support(claim, [PASSAGE], HashingEmbedder())  # the cosine is higher: it is the score
    assert found.how == "none" and not found.supported
    assert found.score == pytest.approx(0.6236, abs=1e-4)
    without_embedder = support(
        REORDERED, [PASSAGE], None, lexical_threshold=1.01, semantic_threshold=0.99
    )
    assert without_embedder == Support(1.0, "none")


@pytest.fixture
def spy(monkeypatch):
    """Every call of the shared ``support`` from the checker and the judge, by caller."""
    assert judges.support is citations.support  # one function, imported by name
    calls: list[tuple[str, str, list[str], list[str] | None]] = []

    def recording(module):
        def spied(claim, passages, *args, **kwargs):
            sentences = args[3] if len(args) > 3 else kwargs.get("sentences")
            calls.append(
                (module, claim, list(passages), None if sentences is None else list(sentences))
            )
            return support(claim, passages, *args, **kwargs)

        return spied

    monkeypatch.setattr(citations, "support", recording("checker"))
    monkeypatch.setattr(judges, "support", recording("judge"))
    return calls


def test_checker_and_judge_both_decide_with_the_shared_support(spy):
    chunk = Chunk(
        id="c1",
        article_id="a",
        article_hash="h",
        title="T",
        text=PASSAGE,
        language="en",
        position=0,
        start=0,
        end=len(PASSAGE),
        token_count=12,
        sentences=(Span(0, 36), Span(37, len(PASSAGE))),
    )
    checker = CitationChecker(threshold=1.01, embedder=HashingEmbedder())
    sentences, _ = checker.check([Claim(REORDERED, (1,))], [Retrieved(chunk, 0.9, 1)])
    verdict = OfflineJudge(HashingEmbedder(), lexical=1.01, semantic=0.99).verdict(
        REORDERED, [PASSAGE]
    )
    assert spy == [
        ("checker", REORDERED, [PASSAGE], SENTENCES),
        ("judge", REORDERED, [PASSAGE], SENTENCES),
    ]
    assert sentences[0].supported and sentences[0].support == pytest.approx(1.0)
    assert verdict.supported and verdict.score == pytest.approx(1.0)
