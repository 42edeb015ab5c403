"""Kept conversations and feedback over HTTP (/api, /v1) and in the browser chat's thumbs."""

from __future__ import annotations

import json

import pytest

from assistant.errors import ProviderError
from assistant.records import ErrorEvent, TextDelta
from assistant.server.state import ServerState
from assistant.server.ui import ChatSession, chat_events, rate_answer

from .conftest import TROOPS_QUESTION
from .test_api import sse_events

FOLLOW_UP = "Und was sagte Pjöngjang dazu?"


def ask(client, **body) -> dict:
    response = client.post("/api/ask", json={"question": TROOPS_QUESTION, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_answer_is_kept_and_a_conversation_continues_by_its_id(client):
    first = ask(client)
    assert first["turn_id"] and first["conversation_id"]
    follow = ask(client, question=FOLLOW_UP, conversation_id=first["conversation_id"])
    assert follow["conversation_id"] == first["conversation_id"]
    assert follow["query"].startswith(FOLLOW_UP + " Soldaten")  # history from the store
    other = ask(client, question="How strong were the winds of the storm?")
    listed = client.get("/api/conversations").json()["conversations"]
    assert [c["id"] for c in listed] == [other["conversation_id"], first["conversation_id"]]
    assert listed[1] | {"created": "", "updated": ""} == {
        "id": first["conversation_id"],
        "title": TROOPS_QUESTION,
        "created": "",
        "updated": "",
        "turns": 2,
    }


def test_the_streamed_answer_carries_its_turn_id_and_is_kept(client):
    response = client.post("/api/ask?stream=true", json={"question": TROOPS_QUESTION})
    kind, final = sse_events(response.text)[-1]
    assert kind == "answer" and final["turn_id"]
    kept = client.get(f"/api/conversations/{final['conversation_id']}").json()
    assert [t["id"] for t in kept["turns"]] == [final["turn_id"]]


def test_a_conversation_shows_every_turn_with_answer_citations_and_feedback(client):
    first = ask(client, filters={"language": "de"}, top_k=3, as_of="2024-10-28")
    given = client.post(
        "/api/feedback", json={"turn_id": first["turn_id"], "rating": "up", "citation": 1}
    )
    assert given.status_code == 201
    data = client.get(f"/api/conversations/{first['conversation_id']}").json()
    (turn,) = data["turns"]
    assert turn["answer"]["answer"] == first["answer"] and turn["n"] == 1
    assert turn["answer"]["citations"][0]["quote"] == first["citations"][0]["quote"]
    assert turn["settings"]["filters"]["language"] == "de" and turn["settings"]["top_k"] == 3
    assert turn["settings"]["as_of"] == "2024-10-28"
    assert turn["timings_ms"]["total"] > 0
    assert turn["feedback"] == [given.json()] and given.json()["rating"] == "up"


def test_the_export_is_markdown_with_question_answer_and_sources(client):
    first = ask(client)
    response = client.get(f"/api/conversations/{first['conversation_id']}/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert f"## 1. {TROOPS_QUESTION}" in text and "Truppen in Russland" in text
    assert "Testquelle, 2024-10-26" in text and "fast 12.000 Soldaten" in text


def test_delete_removes_the_conversation_with_its_turns_and_feedback(client):
    first = ask(client)
    client.post("/api/feedback", json={"turn_id": first["turn_id"], "rating": "down"})
    response = client.delete(f"/api/conversations/{first['conversation_id']}")
    assert response.json() == {"deleted": first["conversation_id"], "turns": 1, "feedback": 1}
    for method in ("get", "delete"):
        gone = getattr(client, method)(f"/api/conversations/{first['conversation_id']}")
        assert gone.status_code == 404
        assert gone.json()["error"]["message"].startswith("expected a stored conversation id")
    missing = client.post("/api/feedback", json={"turn_id": first["turn_id"], "rating": "up"})
    assert missing.status_code == 404


def test_an_unknown_conversation_id_on_ask_is_a_404_before_anything_streams(client):
    for stream in ("false", "true"):
        response = client.post(
            f"/api/ask?stream={stream}",
            json={"question": TROOPS_QUESTION, "conversation_id": "nope"},
        )
        assert response.status_code == 404
        assert response.json() == {
            "error": {
                "type": "invalid_request_error",
                "message": "expected a stored conversation id, got 'nope'",
            }
        }
    assert client.get("/api/conversations").json() == {"conversations": []}


def test_a_stream_that_fails_keeps_nothing(client, indexed, monkeypatch):
    def half(request):
        yield TextDelta("Fast")
        yield ErrorEvent(ProviderError("reset"))

    monkeypatch.setattr(indexed, "stream", half)
    response = client.post("/api/ask?stream=true", json={"question": TROOPS_QUESTION})
    assert sse_events(response.text)[-1][0] == "error"
    assert client.get("/api/conversations").json() == {"conversations": []}


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"rating": "meh"}, 400, "expected rating 'up' or 'down', got 'meh'"),
        ({"rating": 1}, 422, "rating"),
        ({"rating": "down", "comment": "x" * 2001}, 400, "at most 2000 characters, got 2001"),
        ({"rating": "down", "comment": "x" * 100_000}, 400, "at most 2000 characters"),
        ({"rating": "down", "comment": ""}, 400, "got an empty one"),
        ({"rating": "down", "citation": 9}, 404, "one of the turn's citations [1], got 9"),
        ({"rating": "down", "citation": "1"}, 422, "citation"),
        ({"rating": "down", "comment": " " + "x" * 2000}, 400, "at most 2000 characters, got 2001"),
        ({"rating": "down", "reason": "ugly"}, 400, "expected reason one of"),
        ({"rating": "down", "stars": 5}, 422, "stars"),
        ({"turn_id": "nope", "rating": "up"}, 404, "expected a stored turn id, got 'nope'"),
    ],
)
def test_bad_feedback_is_refused_with_its_reason_and_nothing_is_stored(
    client, body, status, fragment
):
    first = ask(client)
    response = client.post("/api/feedback", json={"turn_id": first["turn_id"], **body})
    assert response.status_code == status and fragment in response.json()["error"]["message"]
    kept = client.get(f"/api/conversations/{first['conversation_id']}").json()
    assert kept["turns"][0]["feedback"] == []


def test_feedback_takes_what_the_document_allows(client):
    """1.0 is the integer 1 in JSON (and in JSON Schema); a blank reason is no reason."""
    first = ask(client)
    body = {"turn_id": first["turn_id"], "rating": "down", "citation": 1.0, "reason": ""}
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201, response.text
    assert (response.json()["citation"], response.json()["reason"]) == (1, None)


def test_feedback_needs_a_json_body(client):
    response = client.post("/api/feedback", content="rating=up")
    assert response.status_code == 415


def test_the_openai_face_keeps_turns_and_continues_by_conversation_id(client):
    body = {"model": "x", "messages": [{"role": "user", "content": TROOPS_QUESTION}]}
    first = client.post("/v1/chat/completions", json=body).json()
    assert first["turn_id"] and first["conversation_id"]
    follow_body = {
        "messages": [*body["messages"], {"role": "user", "content": FOLLOW_UP}],
        "conversation_id": first["conversation_id"],
        "stream": True,
    }
    response = client.post("/v1/chat/completions", json=follow_body)
    chunks = [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: {")
    ]
    assert chunks[-1]["conversation_id"] == first["conversation_id"] and chunks[-1]["turn_id"]
    kept = client.get(f"/api/conversations/{first['conversation_id']}").json()
    assert [t["id"] for t in kept["turns"]] == [first["turn_id"], chunks[-1]["turn_id"]]
    unknown = client.post("/v1/chat/completions", json={**body, "conversation_id": "nope"})
    assert unknown.status_code == 404 and unknown.json()["error"]["param"] is None


def test_the_browser_thumbs_store_feedback_for_the_turn_they_rate(indexed):
    state = ServerState(indexed)
    events = list(chat_events(state, TROOPS_QUESTION, [], [], "(any)", "(any)", "", "", False))
    chat, _, turns, _, session = events[-1]
    assert session.conversation_id and session.turn_at(1) and session.turn_at(0) == ""
    events = list(
        chat_events(state, FOLLOW_UP, chat, turns, "(any)", "(any)", "", "", False, False, session)
    )
    chat, _, _, _, session = events[-1]
    assert len(chat) == 4 and session.turn_at(3) and session.turn_at(3) != session.turn_at(1)
    assert rate_answer(state, session, 3, False).startswith("✔")
    assert rate_answer(state, session, [1], True).startswith("✔")  # Gradio may send [i]
    assert rate_answer(state, session, 0, True).startswith("⚠ This message was not kept")
    assert rate_answer(state, session, 3, "") == ""  # un-clicked: nothing stored
    turns_kept = state.conversations.turns(session.conversation_id)
    assert [[f.rating for f in t.feedback] for t in turns_kept] == [["up"], ["down"]]
    assert rate_answer(state, ChatSession(), 1, True).startswith("⚠")


def test_the_openapi_schema_documents_the_conversation_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/conversations/{conversation_id}"]) == {"get", "delete"}
    assert "/api/conversations/{conversation_id}/export" in paths
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"turn_id", "rating", "comment", "citation", "reason"} <= set(
        schema["FeedbackIn"]["properties"]
    )
    assert "conversation_id" in schema["AskIn"]["properties"]
    assert "conversation_id" in schema["ChatRequest"]["properties"]
