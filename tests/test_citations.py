from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.citations import CitationChecker
from assistant.records import Chunk, Claim, Retrieved, Span
from assistant.text import MARKER, lexical_support, numbers_in, parse_claims


def _hit(rank, text, article="a"):
    spans = []
    start = 0
    for part in text.split(". "):
        end = text.index(part, start) + len(part) + (1 if not part.endswith(".") else 0)
        end = min(end, len(text))
        spans.append(Span(text.index(part, start), end))
        start = end
    chunk = Chunk(
        id=f"c{rank}",
        article_id=article,
        article_hash="h",
        title=f"T{rank}",
        text=text,
        language="en",
        position=0,
        start=0,
        end=len(text),
        token_count=10,
        sentences=tuple(spans),
    )
    return Retrieved(chunk, 0.9, rank)


HITS = [
    _hit(1, "The storm hit the coast on Saturday. Winds reached 140 km/h."),
    _hit(2, "North Korea sent nearly 12,000 troops to Russia. Pyongyang denied it."),
]


def test_parse_claims_attaches_markers_and_trailing_marker_sentences():
    claims = parse_claims("Winds reached 140 km/h [1]. Troops were sent [2][1]. [2]", "en")
    assert claims == [Claim("Winds reached 140 km/h.", (1,)), Claim("Troops were sent.", (2, 1, 2))]
    assert parse_claims("A fact [1, 2].", "en") == [Claim("A fact.", (1, 2))]


def test_numbers_normalise_thousands_separators():
    assert numbers_in("fast 12.000 Truppen am 27.-28. Oktober") == {"12000", "27", "28"}
    assert numbers_in("nearly 12,000 troops, 3.5 percent") == {"12000", "3.5"}


def test_lexical_support_is_share_of_content_words():
    assert lexical_support("storm hit coast", "The storm hit the coast") == 1.0
    assert lexical_support("storm hit Berlin", "The storm hit the coast") == 2 / 3


def test_checker_flags_wrong_number_bad_marker_and_missing_citation():
    checker = CitationChecker(threshold=0.5)
    claims = [
        Claim("North Korea sent nearly 12.000 troops to Russia.", (2,)),
        Claim("North Korea sent 15,000 troops to Russia.", (2,)),
        Claim("Winds reached 140 km/h.", (7,)),
        Claim("The storm was terrible.", ()),
    ]
    sentences, citations = checker.check(claims, HITS)
    assert [s.supported for s in sentences] == [True, False, False, False]
    assert sentences[1].reason == "number 15000 does not occur in the cited source"
    assert sentences[2].reason == "marker [7] points to no retrieved source (1..2)"
    assert sentences[3].reason == "no citation"
    assert [c.chunk_id for c in citations] == ["c2"]
    assert citations[0].n == 2  # the marker, never renumbered
    assert citations[0].quote == "North Korea sent nearly 12,000 troops to Russia."


def test_citation_numbers_are_the_markers_in_order_of_first_use():
    claims = [Claim("Pyongyang denied it.", (2,)), Claim("The storm hit the coast.", (1, 2))]
    sentences, citations = CitationChecker().check(claims, HITS)
    assert [s.citations for s in sentences] == [(2,), (1, 2)]
    assert [(c.n, c.chunk_id) for c in citations] == [(2, "c2"), (1, "c1")]


def test_unsupported_paraphrase_reports_the_support_found():
    sentences, _ = CitationChecker(threshold=0.5).check(
        [Claim("Pyongyang celebrated a huge victory parade.", (2,))], HITS
    )
    assert not sentences[0].supported
    assert sentences[0].reason.startswith("cited source supports 0.20 of it")  # 1 of 5 words


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "Nordkorea schickte 12.000 Soldaten.",
                    "Pyongyang denied it.",
                    "The storm hit the coast.",
                    "Something else entirely.",
                ]
            ),
            st.lists(st.integers(0, 4), max_size=3),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_every_marker_of_any_draft_resolves_to_its_citation_or_is_flagged(draft):
    """Property: a marker [n] in the drafted text is citation n (the chunk ranked n) in the
    checked answer, or its sentence is flagged as pointing to no source; never renumbered."""
    text = " ".join(
        f"{sentence}" + "".join(f" [{m}]" for m in markers) for sentence, markers in draft
    )
    claims = parse_claims(text, "en")
    sentences, citations = CitationChecker().check(claims, HITS)
    by_n = {c.n: c for c in citations}
    for sentence in sentences:
        for n in sentence.citations:
            if 1 <= n <= len(HITS):
                assert by_n[n].chunk_id == HITS[n - 1].chunk.id
            else:
                assert not sentence.supported and "points to no retrieved source" in sentence.reason
    used = {int(n) for group in MARKER.findall(text) for n in group.split(",")}
    assert set(by_n) == {n for n in used if 1 <= n <= len(HITS)}
