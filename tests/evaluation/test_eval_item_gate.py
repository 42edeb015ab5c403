"""The item gate end to end through ``assistant eval`` on the fake assistant: a looser
answer model (as the feedback loop's stricter one, ``write_fake_model``'s threshold) turns
one declined question into a false claim while the share answered rises. The averages
stay within the set's tolerance; the gate fails naming the item, the reports list it
first with both answers, the JUnit file holds one failed case for it, and ``--compare``
of the two runs shows it."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from conftest import ARTICLES, write_fake_model
from junitparser import Failure, JUnitXml

from assistant.__main__ import main
from assistant.evaluation.metrics import BY_NAME

REGRESSED = "tiny-fallen"  # declined by the strict model, answered by the looser one
ANSWERED = "tiny-pyongyang"  # declined by the strict model, answered (wrongly) by the looser
ITEMS = [  # id, question, language, gold answers (none: unanswerable)
    ("tiny-troops", "Wie viele Soldaten hat Nordkorea nach Russland geschickt?", "de", ["12.000"]),
    ("tiny-storm", "How strong were the winds of the storm on the coast?", "en", ["140 km/h"]),
    ("tiny-power", "How many homes lost power?", "en", ["Thousands"]),
    (ANSWERED, "What did Pyongyang call the reports?", "en", ["grundlose Gerüchte"]),
    (REGRESSED, "Wie viele Soldaten sind gefallen?", "de", []),
    ("tiny-worldcup", "Wer gewann die Fußball Weltmeisterschaft 1954 in Bern?", "de", []),
    ("tiny-eurovision", "Who won the Eurovision Song Contest in 1974?", "en", []),
    ("tiny-mars", "Welche Farbe hat der Himmel über dem Mars?", "de", []),
    ("tiny-canberra", "What is the capital of Australia?", "en", []),
    ("tiny-eiffel", "Wie hoch ist der Eiffelturm?", "de", []),
]


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Path:
    """A set of 4 answerable and 6 unanswerable questions over the two test articles, with
    a tolerance of 0.2: one of six declines flipping (0.167) stays within it."""
    folder = tmp_path / "evals" / "tiny"
    (folder / "corpus").mkdir(parents=True)
    for name, text in ARTICLES.items():
        (folder / "corpus" / name).write_text(text, encoding="utf-8")
    lines = [
        {"id": i, "question": q, "language": language, "answerable": bool(a), "answers": a,
         "gold_articles": (["weather"] if "storm" in q or "power" in q else ["troops"]) if a
         else []}
        for i, q, language, a in ITEMS
    ]  # fmt: skip
    (folder / "items.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    manifest = {"corpora": {"full": ["./corpus"]}, "tolerance": 0.2, "floors": {"declined": 0.5}}
    (folder / "set.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("ASSISTANT_EVALS_DIR", str(tmp_path / "evals"))
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(write_fake_model(tmp_path / "strict.json")))
    return folder


def run(capsys, tmp_path: Path, out: str, *extra: str) -> tuple[int, str, str]:
    argv = ["eval", "--set", "tiny", "--index", str(tmp_path / "ix"), "--out", str(tmp_path / out)]
    status = main([*argv, *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_new_false_claim_fails_the_gate_by_name_while_the_averages_hold(
    tiny, tmp_path, capsys, monkeypatch
):
    status, out, _ = run(capsys, tmp_path, "release", "--update-baseline")
    assert status == 0 and "baseline updated" in out and "(10 items)" in out
    stored = json.loads((tiny / "baseline.json").read_text())["items"][REGRESSED]
    assert stored["status"] == "declined correctly" and stored["kind"] == "none"
    assert stored["false_claim"] is False and stored["citations"] == []

    looser = write_fake_model(tmp_path / "looser.json", threshold=0.22)
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(looser))
    junit = tmp_path / "junit.xml"
    status, out, err = run(capsys, tmp_path, "candidate", "--junit", str(junit))
    assert status == 1, out + err
    assert [line for line in err.splitlines() if line.startswith("FAIL")] == [
        f"FAIL item {REGRESSED}: declined correctly in the baseline, now false claim"
    ]  # no metric failed: every average is within the tolerance
    assert "(10 items, 0 errors, 1 item regression(s))" in out
    changed = out.split("\n", 1)[1]  # the changed items come before the chart
    assert changed.index(f"REGRESSION {REGRESSED}") < changed.index(ANSWERED) < changed.index("█")
    report = json.loads((tmp_path / "candidate" / "report.json").read_text())
    assert report["gate"]["failures"] == [] and report["gate"]["item_regressions"] == [REGRESSED]
    assert report["metrics"]["declined"] == pytest.approx(5 / 6)  # baseline 1.0, tolerance 0.2
    assert report["metrics"]["answered"] == 1.0  # baseline 0.75: an average improved

    new_answer = next(i for i in report["items"] if i["id"] == REGRESSED)["answer"]
    old_answer = stored["answer"]
    markdown = (tmp_path / "candidate" / "report.md").read_text()
    first = markdown.split("## Changed since the baseline", 1)[1].split("### ")[1]
    assert first.startswith(f"{REGRESSED}: declined correctly → false claim")
    assert "| answer |" in first and "troops" in first
    assert markdown.index("## Changed since the baseline") < markdown.index("| metric |")
    page = (tmp_path / "candidate" / "report.html").read_text()
    assert page.index("<div class='change regression'><h3>tiny-fallen") < page.index("<svg")
    for text in (old_answer, new_answer):  # both answers, side by side, as text
        assert flat(text) in flat(html.unescape(first)) and text in html.unescape(page)

    suite = next(iter(JUnitXml.fromfile(str(junit))))
    failed = [c for c in suite if any(isinstance(r, Failure) for r in c.result)]
    assert [c.name for c in failed] == [REGRESSED]
    message = failed[0].result[0].message
    assert "expected a decline" in message and "got false claim (answer)" in message
    gated = [k for k in report["metrics"] if BY_NAME[k].gated]  # not error, closest
    assert suite.tests == 10 + len(gated)  # items + gated metrics
    assert all(not c.result for c in suite if c.classname == "eval.metrics")

    status, out, _ = run(capsys, tmp_path, "traded", "--allow-item-regressions", "1")
    assert status == 0 and "1 item regression(s) (allowed: 1)" in out

    release, candidate = (str(tmp_path / d / "report.json") for d in ("release", "candidate"))
    status, out, _ = run_compare(capsys, release, candidate)
    assert status == 1 and f"REGRESSION {REGRESSED}: declined correctly → false claim" in out
    assert f"{ANSWERED}: declined → wrong answer [answer text changed" in out  # not gated
    assert "answer_model: " in out and "strict.json → " in out  # the settings that differ


def flat(text: str) -> str:
    return " ".join(text.split())


def run_compare(capsys, first: str, second: str, *extra: str) -> tuple[int, str, str]:
    status = main(["eval", "--compare", first, second, *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_an_aggregates_only_baseline_still_gates_the_metrics_and_says_so(tiny, tmp_path, capsys):
    (tiny / "baseline.json").write_text(json.dumps({"metrics": {"declined": 1.0}}))
    status, out, _ = run(capsys, tmp_path, "out")
    assert status == 0 and "the baseline holds aggregate metrics only" in out
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "items are not compared until" in markdown
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["baseline"] == {"declined": 1.0} and report["changes"]["items"] == []
    assert report["changes"]["note"].startswith("the baseline holds aggregate metrics only")
