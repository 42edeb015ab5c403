from assistant.ingest.chunking import Chunker, count_tokens
from assistant.records import Article
from assistant.sentences import split_sentences

TEXT = (
    "Der Rat tagte am 25. Oktober in Berlin. Er beschloss neue Regeln für den Handel. "
    "Die Regeln gelten ab Mai.\nKritiker nannten das Verfahren zu schnell. "
    "Die Regierung widersprach. Ein Sprecher sagte, alles sei geprüft worden."
)


def _article(text=TEXT):
    return Article(id="a", title="T", text=text, language="de")


def test_german_ordinals_do_not_split_sentences():
    spans = split_sentences(TEXT, "de")
    first = TEXT[spans[0].start : spans[0].end]
    assert first == "Der Rat tagte am 25. Oktober in Berlin."
    assert len(spans) == 6


def test_chunks_hold_whole_sentences_within_the_token_budget_with_overlap():
    chunks = Chunker(max_tokens=32, overlap=12).split(_article())
    sentences = {TEXT[s.start : s.end] for s in split_sentences(TEXT, "de")}
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.token_count <= 32
        assert TEXT[chunk.start : chunk.end] == chunk.text
        assert all(s in sentences for s in chunk.sentence_texts())
    covered = set().union(*(set(c.sentence_texts()) for c in chunks))
    assert covered == sentences
    # consecutive chunks share their boundary sentence when it fits the overlap
    assert any(a.sentence_texts()[-1] == b.sentence_texts()[0] for a, b in zip(chunks, chunks[1:]))
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_overlong_sentence_is_cut_at_word_boundaries():
    long = " ".join(f"wort{i}" for i in range(200)) + "."
    chunks = Chunker(max_tokens=40, overlap=0).split(_article(long))
    assert len(chunks) > 2
    assert all(c.token_count <= 40 for c in chunks)
    assert all(not c.text.startswith(" ") and "wort" in c.text.split()[0] for c in chunks)
    assert " ".join(c.text for c in chunks) == long


def test_ids_are_content_hashes_stable_across_runs_and_sensitive_to_edits():
    first = Chunker(32, 12).split(_article())
    again = Chunker(32, 12).split(_article())
    edited = Chunker(32, 12).split(_article(TEXT.replace("Mai", "Juni")))
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    changed = {c.id for c in first} ^ {c.id for c in edited}
    assert changed and len(changed) < 2 * len(first)  # only the chunks with the edit differ
    assert first[0].article_hash != edited[0].article_hash


def test_count_tokens_uses_cl100k():
    assert count_tokens("hello world") == 2
