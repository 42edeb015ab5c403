"""One citation contract: every channel gives the CLI's answer, markers and citations.

The seed questions go through ``assistant ask --json``, ``/api/ask?stream=true``, the
official ``openai`` client streaming ``/v1/chat/completions``, the Gradio chat through
``gradio_client`` and the MCP ``ask`` tool over streamable HTTP, all against one running
app on one index. Streamed text is read delta by delta: every ``[n]`` a client could render
before the answer is complete must already be a citation of the final answer.
"""

from __future__ import annotations

import json
import re

import anyio
import httpx
import openai
import pytest
from conftest import ROOT

from assistant.__main__ import main as cli
from assistant.server import build_app

from .conftest import make_assistant, running
from .test_mcp import http_session

SEED_QUESTIONS = [
    "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland geschickt haben?",
    "How many North Korean troops has North Korea reportedly sent to Russia?",
    "Wie reagierte Pjöngjang auf die Truppenberichte?",
    "Wer ist der Präsident von Frankreich?",
]
MARKER = re.compile(r"\[(\d+)\]")


def markers(text: str) -> set[int]:
    return {int(n) for n in MARKER.findall(text)}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The seed corpus indexed on the hashing embedder; the full app (API, UI, MCP) serving it."""
    tmp_path = tmp_path_factory.mktemp("contract")
    bot = make_assistant(tmp_path)
    bot.ingest(ROOT / "corpus")
    with running(build_app(bot)) as url:
        yield bot, url


def from_cli(bot, question: str, monkeypatch, capsys) -> dict:
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(bot.settings.answer_model))
    assert cli(["ask", "--json", "--index", str(bot.settings.index_dir), question]) == 0
    return json.loads(capsys.readouterr().out)


def from_sse(url: str, question: str) -> tuple[list[str], dict]:
    response = httpx.post(f"{url}/api/ask?stream=true", json={"question": question}, timeout=60)
    events = [
        (b.split("\n")[0][7:], json.loads(b.split("\n")[1][6:]))
        for b in response.text.strip().split("\n\n")
    ]
    return [d["text"] for kind, d in events if kind == "delta"], events[-1][1]


def from_openai(url: str, question: str) -> tuple[list[str], dict]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused")
    chunks = list(
        client.chat.completions.create(
            model="news-assistant", stream=True, messages=[{"role": "user", "content": question}]
        )
    )
    return [c.choices[0].delta.content or "" for c in chunks], chunks[-1].model_extra


def from_gradio(url: str, question: str) -> tuple[list[str], str, str]:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    job = client.submit(question, [], "(any)", "(any)", "", "", False, api_name="/chat")
    outputs = list(job)  # every update the browser would render, in order
    texts = [_content(chat[-1]["content"]) for chat, _, _ in outputs]
    return texts[:-1], texts[-1], outputs[-1][1]


def _content(content) -> str:
    return content if isinstance(content, str) else "".join(p["text"] for p in content)


def from_mcp(url: str, question: str) -> dict:
    async def call():
        async with http_session(f"{url}/mcp") as session:
            return (await session.call_tool("ask", {"question": question})).structured_content

    return anyio.run(call)


def test_every_channel_gives_the_clis_answer_markers_and_citations(served, monkeypatch, capsys):
    bot, url = served
    answered = 0
    for question in SEED_QUESTIONS:
        cli_json = from_cli(bot, question, monkeypatch, capsys)
        cited = {c["n"] for c in cli_json["citations"]}
        answered += cli_json["answerable"]
        assert markers(cli_json["answer"]) == cited  # the CLI's own text and citations agree

        for deltas, final in (from_sse(url, question), from_openai(url, question)):
            assert "".join(deltas) == cli_json["answer"]
            assert final["citations"] == cli_json["citations"]
            shown = ""
            for delta in deltas:  # what a client has rendered so far resolves already
                shown += delta
                assert markers(shown) <= cited
        assert from_sse(url, question)[1]["sentences"] == cli_json["sentences"]

        partial, chat, sources = from_gradio(url, question)
        assert all(markers(text) <= cited for text in partial)
        assert {int(n) for n in re.findall(r'href="#source-(\d+)"', chat)} == cited
        assert {int(n) for n in re.findall(r'id="source-(\d+)"', sources)} == cited

        mcp_answer = from_mcp(url, question)
        for key in ("answer", "citations", "sentences", "answerable"):
            assert mcp_answer[key] == cli_json[key], key
    assert 0 < answered < len(SEED_QUESTIONS)  # some answered, the France question declined
