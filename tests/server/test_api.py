"""HTTP API: /api/ask (plain and SSE), /api/index, /healthz, errors, OpenAPI schema."""

from __future__ import annotations

import json

import pytest

from assistant.__main__ import main as cli
from assistant.records import ErrorEvent, TextDelta

from .conftest import TROOPS_QUESTION


@pytest.fixture
def fake_assistant(disk_assistant):
    """On disk: the CLI answers from this index; the index page reads Chroma's file time."""
    return disk_assistant


def sse_events(text: str) -> list[tuple[str, dict]]:
    """(event, data) pairs of a text/event-stream body."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_returns_the_answer_with_citations(client):
    response = client.post("/api/ask", json={"question": TROOPS_QUESTION})
    assert response.status_code == 200
    data = response.json()
    assert "12.000" in data["answer"] and "[1]" in data["answer"]
    assert data["citations"][0]["article_id"] == "troops"
    assert "12.000" in data["citations"][0]["quote"]
    assert data["sentences"] and all(s["supported"] for s in data["sentences"])
    assert set(data) >= {"question", "query", "answerable", "language", "retrieved"}


def test_ask_matches_the_cli_json(client, indexed, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(indexed.settings.answer_model))
    api = client.post("/api/ask", json={"question": TROOPS_QUESTION}).json()
    assert cli(["ask", "--json", "--index", str(indexed.settings.index_dir), TROOPS_QUESTION]) == 0
    printed = json.loads(capsys.readouterr().out)
    for key in ("answer", "citations", "sentences", "query", "retrieved", "answerable"):
        assert api[key] == printed[key], key


@pytest.mark.reliability
@pytest.mark.parametrize(
    "flags, body",
    [
        (["--top-k", "-1"], {"top_k": -1}),
        (["--top-k", "101"], {"top_k": 101}),
        (["--language", "fr"], {"filters": {"language": "fr"}}),
        (["--from", "yesterday"], {"filters": {"published_from": "yesterday"}}),
        (
            ["--from", "2024-12-01", "--to", "2024-01-01"],
            {"filters": {"published_from": "2024-12-01", "published_to": "2024-01-01"}},
        ),
    ],
)
def test_the_cli_refuses_what_the_api_refuses_with_its_message(
    client, indexed, monkeypatch, capsys, flags, body
):
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(indexed.settings.answer_model))
    api = client.post("/api/ask", json={"question": TROOPS_QUESTION, **body})
    assert api.status_code == 400, api.text
    index = str(indexed.settings.index_dir)
    assert cli(["ask", *flags, "--index", index, TROOPS_QUESTION]) == 2
    assert capsys.readouterr().err == f"error: {api.json()['error']['message']}\n"


@pytest.mark.reliability
@pytest.mark.parametrize("command", [["ask", "Wer?"], ["chat"], ["serve"], ["mcp"]])
def test_commands_that_read_the_index_refuse_a_missing_one(tmp_path, monkeypatch, capsys, command):
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    missing = tmp_path / "no-index"
    assert cli([command[0], "--index", str(missing), *command[1:]]) == 2
    assert capsys.readouterr().err == (
        f"error: expected an index at {missing}, got no such folder; "
        f"run `assistant ingest <articles> --index {missing}` first\n"
    )
    assert not missing.exists()  # nothing was created


def test_ask_stream_sends_deltas_then_the_checked_answer(client):
    response = client.post("/api/ask?stream=true", json={"question": TROOPS_QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "answer" and set(kinds[:-1]) == {"delta"} and len(kinds) >= 2
    final = events[-1][1]
    assert "".join(d["text"] for _, d in events[:-1]).strip() == final["answer"]
    plain = client.post("/api/ask", json={"question": TROOPS_QUESTION}).json()
    assert final["citations"] == plain["citations"]
    assert final["sentences"] == plain["sentences"]


def test_history_resolves_a_follow_up_before_retrieval(client):
    body = {
        "question": "Und was sagte Pjöngjang dazu?",
        "history": [{"question": TROOPS_QUESTION, "answer": "Fast 12.000 [1]."}],
    }
    data = client.post("/api/ask", json=body).json()
    assert data["query"] == ("Und was sagte Pjöngjang dazu? Soldaten Nordkorea Russland geschickt")
    assert data["citations"][0]["article_id"] == "troops"


def test_filters_restrict_retrieval(client):
    english = {"question": TROOPS_QUESTION, "filters": {"language": "en"}}
    data = client.post("/api/ask", json=english).json()
    assert all(c["article_id"] != "troops" for c in data["citations"])
    assert [r["article_id"] for r in data["retrieved"]] == ["weather"]
    dated = {
        "question": TROOPS_QUESTION,
        "filters": {
            "published_from": "2024-10-01",
            "published_to": "2024-10-31",
            "source": "Testquelle",
        },
    }
    data = client.post("/api/ask", json=dated).json()
    assert [r["article_id"] for r in data["retrieved"]] == ["troops"]


@pytest.mark.reliability
@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"history": []}, 422, "question: Field required"),
        ({"question": 12}, 422, "question: Input should be a valid string"),
        ({"question": "x", "filters": {"lang": "de"}}, 422, "filters.lang: Extra inputs"),
        ({"question": "x", "filters": {"language": "fr"}}, 400, "language filter 'de' or 'en'"),
        ({"question": "x", "filters": {"published_from": "yesterday"}}, 400, "published_from as"),
        ({"question": "x", "top_k": -1}, 400, "expected top_k between 0 and 100, got -1"),
        ({"question": "x", "top_k": 101}, 400, "expected top_k between 0 and 100, got 101"),
        ({"question": ""}, 400, "expected a question, got an empty text"),
        ({"question": "x", "history": [["a", "b"]]}, 422, "history.0"),
        ({"question": "x", "colour": "red"}, 422, "colour: Extra inputs"),
        ({"question": "   "}, 400, "expected a question"),
        ({"question": "x" * 2001}, 400, "at most 2000 characters"),
        (
            {
                "question": "x",
                "filters": {"published_from": "2024-12-01", "published_to": "2024-01-01"},
            },
            400,
            "on or before published_to",
        ),
        ([1, 2], 422, "valid dictionary"),
    ],
)
def test_bad_ask_requests_get_a_4xx_with_a_message(client, body, status, fragment):
    response = client.post("/api/ask", json=body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["error"]["message"]


def test_malformed_json_is_a_400(client):
    response = client.post(
        "/api/ask", content=b'{"question": "x",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("malformed JSON")


def test_bad_question_in_stream_mode_is_a_400_not_a_broken_stream(client):
    response = client.post("/api/ask?stream=true", json={"question": " "})
    assert response.status_code == 400
    assert "expected a question" in response.json()["error"]["message"]


def test_unknown_route_and_wrong_method_are_4xx(client):
    assert client.get("/api/ask").status_code == 405
    assert client.get("/api/nothing").status_code == 404


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("PUT", "/api/conversations/x/export", "GET"),  # a templated path: 405, not 404
        ("PATCH", "/api/conversations/x", "DELETE, GET"),
        ("TRACE", "/healthz", "GET"),
        ("HEAD", "/api/index", "GET"),
        ("OPTIONS", "/v1/chat/completions", "POST"),
        ("PUT", "/openapi.json", "GET, HEAD"),  # Starlette's own 405, in the one shape
    ],
)
def test_every_undeclared_method_on_a_declared_path_is_a_405(client, method, path, allow):
    response = client.request(method, path)
    assert (response.status_code, response.headers["allow"]) == (405, allow)
    if method != "HEAD":
        expected = allow.replace(", ", " or ")
        message = response.json()["error"]["message"]
        assert message == f"expected {expected} for {path}, got {method}"


@pytest.mark.reliability
def test_unknown_routes_and_methods_keep_the_error_shape_beside_the_ui(indexed):
    from fastapi.testclient import TestClient

    from assistant.server import build_app

    with TestClient(build_app(indexed)) as full:  # the UI is mounted at /
        wrong = full.get("/api/ask")
        assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
        assert wrong.json() == {
            "error": {
                "type": "invalid_request_error",
                "message": "expected POST for /api/ask, got GET",
            }
        }
        for path in ("/api/nothing", "/v1/nothing"):
            missing = full.post(path, json={})
            assert missing.status_code == 404, path
            assert (
                missing.json()["error"]["message"]
                == f"expected a route listed at /docs, got {path}"
            )
        openai_style = full.get("/v1/chat/completions").json()["error"]
        assert (openai_style["param"], openai_style["code"]) == (None, None)


@pytest.mark.reliability
@pytest.mark.parametrize(
    "headers, got",
    [
        ({"content-type": "text/plain"}, "got text/plain"),
        ({"content-type": "application/x-www-form-urlencoded"}, "got application/x-www-form"),
        ({}, "got no Content-Type"),
    ],
)
def test_a_body_that_is_not_json_is_a_415(client, headers, got):
    for path in ("/api/ask", "/v1/chat/completions"):
        response = client.post(path, content=b'{"question": "x"}', headers=headers)
        assert response.status_code == 415, (path, response.text)
        message = response.json()["error"]["message"]
        assert message.startswith("expected Content-Type application/json") and got in message


def test_index_counts_articles_and_chunks(client):
    data = client.get("/api/index").json()
    assert data["articles"] == 2
    assert data["articles_by_language"] == {"de": 1, "en": 1}
    assert data["articles_by_source"] == {"Test Source": 1, "Testquelle": 1}
    assert data["chunks"] == sum(data["chunks_by_language"].values()) >= 2
    assert data["embedder"] == "fake/hashing-256"
    assert data["last_update"] and data["last_update"].startswith("20")


def test_healthz(client):
    data = client.get("/healthz").json()
    assert data["status"] == "ok" and data["chunks"] >= 2


def test_openapi_schema_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/ask",
        "/api/ingest",
        "/api/index",
        "/healthz",
        "/v1/chat/completions",
        "/v1/models",
    } <= set(paths)
    assert "multipart/form-data" in paths["/api/ingest"]["post"]["requestBody"]["content"]


def test_provider_down_is_a_502_with_the_reason(client, indexed, monkeypatch):
    from assistant.errors import ProviderError

    def down(*args, **kwargs):
        raise ProviderError("the answer model (gpt-4o-mini) failed: APITimeoutError: timed out")

    monkeypatch.setattr(indexed, "stream", down)  # /api/ask asks through the conversations
    response = client.post("/api/ask", json={"question": TROOPS_QUESTION})
    assert response.status_code == 502
    assert response.json()["error"]["message"].endswith("APITimeoutError: timed out")


def test_provider_failing_mid_stream_ends_with_an_error_event(client, indexed, monkeypatch):
    from assistant.errors import ProviderError

    def half(*args, **kwargs):
        yield TextDelta("Fast")
        yield ErrorEvent(ProviderError("the answer model failed: connection reset"))

    monkeypatch.setattr(indexed, "stream", half)
    response = client.post("/api/ask?stream=true", json={"question": TROOPS_QUESTION})
    assert sse_events(response.text) == [
        ("delta", {"text": "Fast"}),
        (
            "error",
            {
                "error": {
                    "type": "provider_error",
                    "message": "the answer model failed: connection reset",
                },
                "status": 502,
            },
        ),
    ]
