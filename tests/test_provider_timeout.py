"""A provider that hangs fails after ``request_timeout_s``, not after a silent retry.

The ``openai`` SDK retries once by default, which turned a 3 s timeout into a 6.5-6.9 s wait
(issue 10); ``providers.py`` makes one attempt. A local server that reads the request and
never answers stands in for the slow provider.
"""

from __future__ import annotations

import time

import pytest
from conftest import write_fake_model

from assistant import Assistant, load_settings
from assistant.errors import ProviderError
from assistant.providers import HashingEmbedder, OpenAIEmbedder
from tests.servers import silent_server

TIMEOUT_S = 1.5
MARGIN_S = 1.0  # a retry would need another TIMEOUT_S plus the SDK's back-off
QUESTION = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"

pytestmark = pytest.mark.reliability


def test_a_hanging_chat_model_fails_within_the_timeout(tmp_path, corpus_dir):
    with silent_server() as (base_url, requests):
        settings = load_settings(
            index_dir=tmp_path / "index",
            embeddings="fake",
            answerer="openai",
            openai_base_url=base_url,
            chat_model="slow",
            request_timeout_s=TIMEOUT_S,
            answer_model=write_fake_model(tmp_path / "answer-model.json"),
        )
        bot = Assistant.from_settings(settings, embedder=HashingEmbedder())
        bot.ingest(corpus_dir)
        with pytest.raises(ProviderError):  # the first call also loads the chain's modules
            bot.ask(QUESTION)
        started = time.monotonic()
        with pytest.raises(ProviderError, match=r"the answer model \(slow\) failed: .*Timeout"):
            bot.ask(QUESTION)
        elapsed = time.monotonic() - started
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + MARGIN_S, elapsed
    assert requests == ["/v1/chat/completions"] * 2  # one attempt per question, no retry


def test_a_hanging_embedding_server_fails_within_the_timeout():
    with silent_server() as (base_url, requests):
        embedder = OpenAIEmbedder("slow-embed", base_url, None, timeout=TIMEOUT_S)
        started = time.monotonic()
        with pytest.raises(ProviderError, match=r"embedding server at openai/slow-embed@.* failed"):
            embedder.embed_query("Nordkorea")
        elapsed = time.monotonic() - started
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + MARGIN_S, elapsed
    assert requests == ["/v1/embeddings"]
