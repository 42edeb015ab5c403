from assistant.language import detect_language
from assistant.records import Answer, Citation, Sentence


def test_detects_german_and_english_questions():
    assert detect_language("Wer ist der Präsident von Frankreich?") == "de"
    assert detect_language("Wie viele Soldaten wurden geschickt?") == "de"
    assert detect_language("How many troops has North Korea sent to Russia?") == "en"
    assert detect_language("12.000", default="de") == "de"


def test_answer_to_dict_has_the_documented_fields():
    citation = Citation(1, "c1", "a1", "T", "S", "2024-10-26", "", "chunk text", "chunk", 0, 5)
    answer = Answer(
        "q?",
        "x [1]",
        True,
        "en",
        (Sentence("x", (1,), True, 1.0),),
        (citation,),
        (),
        "extractive",
        timings_ms={"total": 1.234},
    )
    data = answer.to_dict()
    assert set(data) >= {
        "question",
        "answer",
        "answerable",
        "language",
        "sentences",
        "citations",
        "retrieved",
        "timings_ms",
    }
    assert data["sentences"] == [
        {"text": "x", "citations": [1], "supported": True, "support": 1.0, "reason": ""}
    ]
    assert data["citations"][0]["quote"] == "chunk"
    assert data["timings_ms"] == {"total": 1.23}
