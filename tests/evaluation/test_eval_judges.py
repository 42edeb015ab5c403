"""Judges: the offline checks one by one, the LLM judge with a scripted fake model, and the
agreement of the offline judge with the hand labels in evals/judge-check.jsonl."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant import load_settings
from assistant.evaluation.judgecheck import agreement, load_pairs
from assistant.evaluation.judges import LLMJudge, OfflineJudge, make_judge
from assistant.providers import HashingEmbedder

ROOT = Path(__file__).resolve().parents[2]
PASSAGE = (
    "In einem Gespräch mit russischen Medien am 25. Oktober enthielt sich Putin einer "
    "direkten Bestätigung. Berichten zufolge hat Nordkorea fast 12.000 Truppen geschickt."
)


@pytest.mark.parametrize(
    "statement, supported, reason",
    [
        (
            "In einem Gespräch mit russischen Medien am 25. Oktober enthielt sich Putin einer "
            "direkten Bestätigung.",
            True,
            "",
        ),
        ("Putin sprach am 25. Oktober mit russischen Medien.", True, ""),
        ("Putin sprach am 26. Oktober mit russischen Medien.", False, "number 26"),
        ("Putin sprach am 25. November mit russischen Medien.", False, "date (november)"),
        ("Kim sprach am 25. Oktober mit russischen Medien.", False, "name 'Kim'"),
        ("Putin enthielt sich nicht einer direkten Bestätigung.", False, "negation"),
        ("Nordkorea hat fast 12.000 Truppen geschickt.", False, "only reports"),
        ("Berichten zufolge hat Nordkorea fast 12.000 Truppen geschickt.", True, ""),
    ],
)
def test_offline_judge_checks(statement, supported, reason):
    verdict = OfflineJudge().verdict(statement, [PASSAGE])
    assert verdict.supported is supported
    assert reason in verdict.reason


def test_offline_judge_without_passages_or_support():
    judge = OfflineJudge()
    assert judge.verdict("Putin sprach.", []).reason == "cites no retrieved passage"
    verdict = judge.verdict("Das Wetter war schön und sonnig.", ["Das Wetter: Regen, Sturm."])
    assert not verdict.supported and "below the thresholds" in verdict.reason


def test_offline_judge_semantic_support_uses_the_embedder():
    # the hashing embedder maps the same words to the same vector: cosine 1.0 for a reordering
    judge = OfflineJudge(HashingEmbedder(), lexical=1.01, semantic=0.99)
    assert judge.verdict("the coast the storm hit", ["The storm hit the coast."]).supported
    assert (
        not OfflineJudge(None, lexical=1.01)
        .verdict("the coast the storm hit", ["The storm hit the coast."])
        .supported
    )


def fake_model(*replies):
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


def test_llm_judge_extracts_statements_and_parses_verdicts():
    model = fake_model(
        '["Putin spoke on 25 October.", "He confirmed nothing."]',
        '{"verdict": "supported", "reason": "stated"}',
        'Sure: {"verdict": "unsupported", "reason": "not in the passages"}',
    )
    judge = LLMJudge(model, ROOT / "prompts")
    assert judge.statements("q", "answer [1]", ["fallback"]) == [
        "Putin spoke on 25 October.",
        "He confirmed nothing.",
    ]
    assert judge.verdict("Putin spoke on 25 October.", [PASSAGE]).supported
    verdict = judge.verdict("He confirmed nothing.", [PASSAGE])
    assert not verdict.supported and verdict.reason == "not in the passages"
    assert judge.verdict("Putin spoke on 25 October.", [PASSAGE]).supported  # cached: no call


def test_llm_judge_falls_back_to_sentences_when_no_statements():
    judge = LLMJudge(fake_model("[]"), ROOT / "prompts")
    assert judge.statements("q", "a", ["Satz eins.", " "]) == ["Satz eins."]


def test_make_judge_defaults_to_offline():
    settings = load_settings(embeddings="fake")
    assert make_judge(settings.eval_judge, settings).name == "offline"
    assert make_judge("llm", settings, chat_model=fake_model("x")).name == "llm"


def test_offline_judge_agreement_on_the_hand_labelled_pairs():
    pairs = load_pairs(ROOT / "evals" / "judge-check.jsonl")
    assert len(pairs) >= 30 and {p.kind for p in pairs} >= {
        "wrong_number",
        "swapped_name",
        "negation",
        "reported_claim",
        "translation",
    }
    result = agreement(OfflineJudge(), pairs)  # lexical only: the number docs/evaluation.md cites
    assert result.by_kind["wrong_number"][0] == result.by_kind["wrong_number"][1]
    assert result.by_kind["translation"][0] == 0  # what it cannot do without embeddings
    assert result.rate >= 0.8, result.disagreements


def test_a_verbatim_value_is_supported_but_a_verbatim_claim_is_still_checked():
    from assistant.evaluation.judges import OfflineJudge, is_value

    passage = (
        "Nordkorea hat nach Berichten fast 12.000 Truppen geschickt. The company did not "
        "confirm it, but according to union officials about 300 jobs will be cut."
    )
    assert is_value("fast 12.000 Truppen") and not is_value("About 300 jobs will be cut.")
    judge = OfflineJudge()
    assert judge.verdict("fast 12.000 Truppen", [passage]).supported
    assert not judge.verdict("About 300 jobs will be cut.", [passage]).supported
