"""The OpenAI-compatible endpoints, driven by the official ``openai`` client."""

from __future__ import annotations

import openai
import pytest

from .conftest import TROOPS_QUESTION, running


@pytest.fixture(scope="function")
def api_url(indexed):
    from assistant.server import build_app

    with running(build_app(indexed, with_ui=False)) as url:
        yield url


@pytest.fixture
def oa(api_url):
    return openai.OpenAI(base_url=f"{api_url}/v1", api_key="unused", max_retries=0, timeout=30)


def test_models_lists_the_assistant(oa):
    assert [m.id for m in oa.models.list()] == ["news-assistant"]


def test_completion_carries_markers_and_citations(oa, client):
    reply = oa.chat.completions.create(
        model="news-assistant", messages=[{"role": "user", "content": TROOPS_QUESTION}]
    )
    text = reply.choices[0].message.content
    assert "12.000" in text and "[1]" in text
    extra = reply.model_extra
    assert extra["citations"][0]["article_id"] == "troops"
    assert extra["sentences"][0]["supported"] is True
    api = client.post("/api/ask", json={"question": TROOPS_QUESTION}).json()
    assert text == api["answer"] and extra["citations"] == api["citations"]


def test_stream_final_chunk_carries_the_citations(oa, client):
    stream = oa.chat.completions.create(
        model="news-assistant", stream=True, messages=[{"role": "user", "content": TROOPS_QUESTION}]
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])
    assert final.model_extra["citations"][0]["article_id"] == "troops"
    assert "12.000" in final.model_extra["citations"][0]["quote"]
    api = client.post("/api/ask", json={"question": TROOPS_QUESTION}).json()
    assert text == api["answer"]  # the deltas are the final text, markers included
    assert final.model_extra["citations"] == api["citations"]


def test_history_and_filters_travel_through_the_openai_shape(oa):
    reply = oa.chat.completions.create(
        model="news-assistant",
        messages=[
            {"role": "system", "content": "ignored"},
            {"role": "user", "content": TROOPS_QUESTION},
            {"role": "assistant", "content": "Fast 12.000 [1]."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "Und was sagte Pjöngjang dazu?"}],
            },
        ],
        extra_body={"filters": {"language": "de"}},
    )
    assert reply.model_extra["query"] == (
        "Und was sagte Pjöngjang dazu? Soldaten Nordkorea Russland geschickt"
    )
    assert reply.model_extra["citations"][0]["article_id"] == "troops"


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user"}]}, "expected a question"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
        (
            {"messages": [{"role": "system", "content": "x"}, {"role": "tool", "content": "y"}]},
            "expected a message with role 'user', got roles ['system', 'tool']",
        ),
        (
            {"messages": [{"role": "user", "content": "  "}, {"role": "user", "content": "x"}]},
            "expected a question in messages[0], got an empty text",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            "expected a question in messages[0]",
        ),
        ({"messages": [{"role": "user", "content": "x"}], "top_k": "5"}, "top_k"),
        ({"messages": "hello"}, "messages"),
        (
            {"messages": [{"role": "user", "content": "x"}], "filters": {"lang": "de"}},
            "filters.lang",
        ),
        ({"messages": [{"role": "user", "content": "x"}], "stream": "maybe"}, "stream"),
    ],
)
def test_bad_requests_get_openai_style_4xx(client, body, fragment):
    response = client.post("/v1/chat/completions", json=body)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and fragment in error["message"]


def test_openai_client_raises_a_bad_request_error(oa):
    with pytest.raises(openai.BadRequestError, match="expected a question of at most"):
        oa.chat.completions.create(
            model="news-assistant", messages=[{"role": "user", "content": "x" * 2500}]
        )


def test_messages_after_the_last_user_message_are_ignored(client):
    """A tool result, a system reminder or an assistant prefill after the question does not
    change it: the answer is the one to the last user message (docs/api.md)."""
    asked = [{"role": "user", "content": TROOPS_QUESTION}]
    plain = client.post("/v1/chat/completions", json={"messages": asked}).json()
    trailing = [{"role": "assistant", "content": "Fast"}, {"role": "tool", "content": "{}"}]
    reply = client.post("/v1/chat/completions", json={"messages": asked + trailing})
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["choices"][0]["message"]["content"] == plain["choices"][0]["message"]["content"]
    assert data["query"] == TROOPS_QUESTION
