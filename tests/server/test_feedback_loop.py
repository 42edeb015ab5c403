"""The loop end to end on the fake assistant: an answer with a wrong quote, a thumbs down
over HTTP, ``assistant feedback review`` writes an eval item, ``assistant eval --set
feedback`` fails the gate on it, and passes once a change fixes the answer. Also the CLI's
own recording (``ask --json``, ``--conversation``) and ``assistant conversations``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, write_fake_model

from assistant.__main__ import main
from assistant.condense import RuleCondenser

from .conftest import TROOPS_QUESTION

FRANCE = "Wie viele Soldaten hat Frankreich nach Russland geschickt?"  # the articles don't say
FOLLOW_UP = "Und was sagte Pjöngjang dazu?"


@pytest.fixture
def fake_assistant(disk_assistant):
    """On disk: the CLI reviews and gates from the index the app wrote."""
    return disk_assistant


@pytest.fixture
def evals(tmp_path, indexed, monkeypatch) -> Path:
    """A private evals folder holding the shipped feedback set.json; the CLI reads the
    index of ``indexed`` with its embedder and answer model."""
    folder = tmp_path / "evals"
    (folder / "feedback").mkdir(parents=True)
    shutil.copy(ROOT / "evals" / "feedback" / "set.json", folder / "feedback" / "set.json")
    monkeypatch.setenv("ASSISTANT_EVALS_DIR", str(folder))
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(indexed.settings.answer_model))
    return folder / "feedback"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def items(feedback_set: Path) -> list[dict]:
    path = feedback_set / "items.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.is_file() else []


def feedback_eval(tmp_path: Path) -> list[str]:
    """``assistant eval --set feedback`` with its index and report under ``tmp_path``."""
    return ["eval", "--set", "feedback", "--index", str(tmp_path / "eval"), "--out",
            str(tmp_path / "out")]  # fmt: skip


def thumbs_down(client, question: str, **extra) -> tuple[dict, str]:
    answer = client.post("/api/ask", json={"question": question, **extra}).json()
    feedback = client.post(
        "/api/feedback",
        json={
            "turn_id": answer["turn_id"],
            "rating": "down",
            "citation": 1,
            "reason": "quote_does_not_support",
            "comment": "Das steht da nicht.",
        },
    )
    assert feedback.status_code == 201
    return answer, feedback.json()["id"]


def test_a_wrongly_answered_question_reviewed_as_decline_gates_until_fixed(
    client, indexed, evals, tmp_path, capsys
):
    index = str(indexed.settings.index_dir)
    answer, feedback_id = thumbs_down(client, FRANCE)
    assert answer["answerable"] and "12.000" in answer["answer"]  # the wrong answer
    status, out, _ = cli(capsys, "feedback", "list", "--index", index)
    assert status == 0 and feedback_id[:12] in out and "quote_does_not_support" in out
    assert FRANCE in out and "fast 12.000 Soldaten" in out and "[1] Truppen in Russland" in out
    assert "comment: Das steht da nicht." in out and "retrieved 2: Storm hits the coast" in out

    status, out, _ = cli(
        capsys, "feedback", "review", feedback_id[:8], "--decision", "decline", "--index", index
    )
    assert status == 0 and f"eval item feedback-{feedback_id[:12]}" in out
    (item,) = items(evals)
    assert item["question"] == FRANCE and item["answerable"] is False and item["answers"] == []
    assert item["feedback"]["answer_given"] == answer["answer"]
    corpus = sorted(p.read_text() for p in (evals / "corpus").iterdir())
    assert len(corpus) == 2 and "Pjöngjang wies die Berichte" in "".join(corpus)
    assert (
        cli(capsys, "feedback", "review", feedback_id, "--decision", "decline", "--index", index)[0]
        == 2
    )
    assert len(items(evals)) == 1  # never the same feedback twice
    assert cli(capsys, "feedback", "list", "--index", index)[1] == ""  # nothing left to review

    run = feedback_eval(tmp_path)
    status, out, err = cli(capsys, *run)
    assert status == 1 and "gate FAILED for set feedback (1 items" in out
    assert f"FAIL declined = 0.000 is below its floor 1.000; worst items: {item['id']}" in err
    # the fix: an answer model that declines what the articles do not say
    stricter = write_fake_model(tmp_path / "stricter.json", threshold=0.9)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSISTANT_ANSWER_MODEL", str(stricter))
        status, out, err = cli(capsys, *run)
    assert status == 0 and "gate passed for set feedback (1 items, 0 errors)" in out, err


def test_a_wrong_quote_reviewed_as_quote_n_gates_until_fixed(
    client, indexed, evals, tmp_path, capsys, monkeypatch
):
    index = str(indexed.settings.index_dir)
    first = client.post("/api/ask", json={"question": TROOPS_QUESTION}).json()
    answer, feedback_id = thumbs_down(client, FOLLOW_UP, conversation_id=first["conversation_id"])
    assert "Gerüchte" not in answer["answer"]  # it quoted the troops sentence again
    review = ["feedback", "review", feedback_id, "--index", index, "--decision"]
    for decision, expected in [
        ("quote:9", "expected N among the turn's retrieved chunks [1, 2], got 9"),
        ("quote:2", "expected --answer TEXT for chunk 2"),
        ("maybe", "expected a decision quote:N, decline or discard, got 'maybe'"),
    ]:
        status, _, err = cli(capsys, *review, decision)
        assert status == 2 and expected in err
    status, _, err = cli(capsys, *review, "quote:1", "--answer", "140 km/h")
    assert status == 2 and "expected an answer that occurs in chunk 1" in err
    assert items(evals) == [] and not (evals / "corpus").exists()  # nothing written on errors

    status, out, _ = cli(capsys, *review, "quote:1", "--answer", "grundlose Gerüchte")
    assert status == 0
    (item,) = items(evals)
    assert item["answerable"] and item["answers"] == ["grundlose Gerüchte"]
    assert item["gold_articles"] == ["troops"] and item["gold_quotes"] == []  # not the wrong one
    assert item["history"] == [[TROOPS_QUESTION, first["answer"]]]
    assert item["kind"] == "feedback-quote_does_not_support" and len(item["as_of"]) == 10

    run = feedback_eval(tmp_path)
    status, out, err = cli(capsys, *run)
    failure = f"FAIL correct = 0.000 is below its floor 1.000; worst items: {item['id']}"
    assert status == 1 and failure in err
    # the fix: a follow-up that names its own subject (Pjöngjang) is searched as it is
    monkeypatch.setattr(RuleCondenser, "condense", lambda self, question, history: question)
    status, out, err = cli(capsys, *run)
    assert status == 0 and "gate passed for set feedback" in out, err


def test_an_empty_feedback_set_has_nothing_to_gate(evals, tmp_path, capsys):
    (evals / "items.jsonl").write_text("")
    status, out, _ = cli(capsys, "eval", "--set", "feedback", "--index", str(tmp_path / "e"))
    assert status == 0 and "set feedback has no items yet: nothing to gate" in out


def test_the_cli_keeps_what_it_answers_and_manages_conversations(indexed, evals, capsys):
    index = str(indexed.settings.index_dir)
    status, out, _ = cli(capsys, "ask", "--json", "--index", index, TROOPS_QUESTION)
    first = json.loads(out)
    assert status == 0 and first["turn_id"] and first["conversation_id"]
    status, out, _ = cli(
        capsys,
        "ask",
        "--json",
        "--index",
        index,
        "--conversation",
        first["conversation_id"],
        FOLLOW_UP,
    )
    follow = json.loads(out)
    assert follow["conversation_id"] == first["conversation_id"]
    assert follow["query"].startswith(FOLLOW_UP + " Soldaten")
    status, out, _ = cli(capsys, "conversations", "list", "--index", index)
    assert out.startswith(first["conversation_id"][:12]) and "2 turns" in out
    status, out, _ = cli(
        capsys, "conversations", "show", first["conversation_id"][:8], "--index", index
    )
    assert f"[2] {FOLLOW_UP}" in out and "[1] Truppen in Russland" in out
    status, out, _ = cli(
        capsys, "conversations", "export", first["conversation_id"], "--index", index
    )
    assert out.startswith(f"# {TROOPS_QUESTION}") and f"## 2. {FOLLOW_UP}" in out
    status, _, err = cli(capsys, "ask", "--index", index, "--conversation", "nope", FOLLOW_UP)
    assert status == 2 and "expected a stored conversation id, got 'nope'" in err
    status, out, _ = cli(capsys, "conversations", "purge", "--index", index)
    assert "purged 0 conversations" in out  # 90 days by default; these are new
    status, out, _ = cli(
        capsys, "conversations", "delete", first["conversation_id"], "--index", index
    )
    assert status == 0 and "2 turns, 0 feedback" in out
    assert cli(capsys, "conversations", "list", "--index", index)[1] == ""


def test_the_conversation_commands_refuse_an_index_without_kept_conversations(tmp_path, capsys):
    status, _, err = cli(capsys, "conversations", "list", "--index", str(tmp_path / "none"))
    assert status == 2 and "expected kept conversations at" in err
    assert not (tmp_path / "none").exists()
