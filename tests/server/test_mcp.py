"""The MCP server (``assistant mcp`` over stdio, ``/mcp`` over streamable HTTP), driven by the
official ``mcp`` client: the tools, their answers, their errors, and the API key."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from conftest import write_fake_model
from mcp import Client, ClientSession, MCPError, StdioServerParameters, stdio_client
from mcp.client.stdio import get_default_environment
from mcp.client.streamable_http import streamable_http_client

from assistant.server import build_app

from .conftest import TROOPS_QUESTION, make_assistant, running

ROOT = Path(__file__).resolve().parents[2]
OFFLINE_ENV = {
    "ANONYMIZED_TELEMETRY": "False",
    "HF_HUB_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


@pytest.fixture
def stdio_server(tmp_path, corpus_dir) -> StdioServerParameters:
    """``python -m assistant mcp`` on an index built by an Assistant with the same settings."""
    assert make_assistant(tmp_path).ingest(corpus_dir).added == 2
    env = {
        **OFFLINE_ENV,
        "ASSISTANT_EMBEDDINGS": "fake",
        "ASSISTANT_ANSWER_MODEL": str(write_fake_model(tmp_path / "m.json")),
    }
    return StdioServerParameters(
        command=sys.executable,
        cwd=ROOT,
        env=env,
        args=["-m", "assistant", "mcp", "--index", str(tmp_path / "index")],
    )


@asynccontextmanager
async def stdio_session(params: StdioServerParameters, errlog: Path):
    with errlog.open("w") as err:
        async with (
            stdio_client(params, errlog=err) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


@asynccontextmanager
async def http_session(url: str, headers: dict | None = None, statuses: list | None = None):
    """A session over streamable HTTP; ``statuses`` collects the HTTP status of each reply."""

    async def record(response):
        (statuses if statuses is not None else []).append(response.status_code)

    async with (
        httpx2.AsyncClient(
            headers=headers, timeout=60, event_hooks={"response": [record]}
        ) as client,
        streamable_http_client(url, http_client=client) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def check_tools(session: ClientSession) -> None:
    """The assertions both transports must pass: tools, answer, search, error."""
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert sorted(tools) == ["ask", "search"]
    assert "citations" in tools["ask"].description and "[n]" in tools["ask"].description
    assert tools["ask"].input_schema["required"] == ["question"]
    assert tools["search"].output_schema["required"] == ["query", "results"]

    reply = await session.call_tool("ask", {"question": TROOPS_QUESTION})
    assert reply.is_error is False
    answer = reply.structured_content
    assert json.loads(reply.content[0].text) == answer  # the text is the same JSON
    assert "12.000" in answer["answer"]
    assert answer["citations"][0]["n"] == 1 and answer["citations"][0]["article_id"] == "troops"
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
    assert markers and markers <= {c["n"] for c in answer["citations"]}

    found = await session.call_tool("search", {"query": TROOPS_QUESTION, "top_k": 2})
    assert found.is_error is False
    results = found.structured_content["results"]
    assert json.loads(found.content[0].text) == found.structured_content
    assert [r["rank"] for r in results] == [1, 2]
    assert results[0]["article_id"] == "troops" and "12.000" in results[0]["text"]
    assert results[0]["chunk_id"] == answer["citations"][0]["chunk_id"]

    empty = await session.call_tool("ask", {"question": ""})
    assert empty.is_error is True
    assert json.loads(empty.content[0].text) == {
        "error": {
            "type": "invalid_request_error",
            "message": "expected a question, got an empty text",
        }
    }


def test_stdio_server_answers_with_citations(stdio_server, tmp_path):
    async def main():
        async with stdio_session(stdio_server, tmp_path / "stderr.txt") as session:
            await check_tools(session)

    anyio.run(main)


def test_stdio_filters_go_through_the_one_parser(stdio_server, tmp_path):
    async def main():
        async with stdio_session(stdio_server, tmp_path / "stderr.txt") as session:
            bad = await session.call_tool(
                "ask", {"question": TROOPS_QUESTION, "published_from": "26.10.2024"}
            )
            english = await session.call_tool(
                "search", {"query": TROOPS_QUESTION, "language": "en"}
            )
            too_many = await session.call_tool("search", {"query": "Sturm", "top_k": 101})
            return bad, english, too_many

    bad, english, too_many = anyio.run(main)
    assert bad.is_error is True
    assert (
        json.loads(bad.content[0].text)["error"]["message"]
        == "expected published_from as YYYY-MM-DD, got '26.10.2024'"
    )
    assert english.is_error is False
    assert {r["article_id"] for r in english.structured_content["results"]} == {"weather"}
    assert too_many.is_error is True
    assert "expected top_k between 0 and 100, got 101" in too_many.content[0].text


def test_stdio_stdout_carries_only_protocol_messages(stdio_server):
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "ask", "arguments": {"question": TROOPS_QUESTION}},
        },
    ]
    process = subprocess.Popen(
        [stdio_server.command, *stdio_server.args],
        cwd=ROOT,
        text=True,
        env={**get_default_environment(), **stdio_server.env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    watchdog = threading.Timer(120, process.kill)  # a hung server fails the test, not the run
    watchdog.start()
    try:
        process.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
        process.stdin.flush()
        lines = [process.stdout.readline(), process.stdout.readline()]  # both answers
        process.stdin.close()  # end of input: the server exits
        lines += process.stdout.readlines()
        assert process.wait(timeout=30) == 0
    finally:
        watchdog.cancel()
        process.kill()
    messages = [json.loads(line) for line in lines]  # any stray print would fail to parse
    assert [m["id"] for m in messages] == [1, 2]
    assert messages[0]["result"]["serverInfo"]["name"] == "news-assistant"
    assert "12.000" in messages[1]["result"]["structuredContent"]["answer"]


@pytest.fixture
def api_url(indexed):
    with running(build_app(indexed, with_ui=False)) as url:
        yield url


def test_http_mount_serves_the_same_tools(api_url):
    async def main():
        async with http_session(f"{api_url}/mcp") as session:
            await check_tools(session)

    anyio.run(main)


def test_http_mount_answers_at_the_trailing_slash_too(api_url):
    async def main():
        async with http_session(f"{api_url}/mcp/") as session:
            return await session.call_tool("search", {"query": TROOPS_QUESTION, "top_k": 1})

    found = anyio.run(main)
    assert [r["article_id"] for r in found.structured_content["results"]] == ["troops"]


def test_http_mount_speaks_the_discovery_protocol_too(api_url):
    async def main():  # mcp.Client probes server/discover first (protocol 2026-07-28)
        async with Client(f"{api_url}/mcp") as client:
            tools = [tool.name for tool in (await client.list_tools()).tools]
            return (
                client.protocol_version,
                tools,
                await client.call_tool("ask", {"question": TROOPS_QUESTION}),
            )

    version, tools, reply = anyio.run(main)
    assert version == "2026-07-28" and sorted(tools) == ["ask", "search"]
    assert reply.structured_content["citations"][0]["article_id"] == "troops"


def test_http_mount_runs_beside_the_ui(indexed):
    async def main(url):
        async with http_session(f"{url}/mcp") as session:
            return await session.call_tool("ask", {"question": TROOPS_QUESTION})

    with running(build_app(indexed)) as url:
        reply = anyio.run(main, url)
        assert httpx.get(f"{url}/", timeout=30).status_code == 200  # the UI still answers
    assert reply.structured_content["citations"][0]["article_id"] == "troops"


@pytest.fixture
def keyed_url(tmp_path, corpus_dir):
    assistant = make_assistant(tmp_path, api_key="k", max_body_bytes=2048)
    assistant.ingest(corpus_dir)
    with running(build_app(assistant, with_ui=False)) as url:
        yield url


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_http_mount_refuses_without_the_key(keyed_url, headers):
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"},
        },
    }
    for path in ("/mcp", "/mcp/"):
        response = httpx.post(f"{keyed_url}{path}", json=initialize, headers=headers, timeout=30)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Bearer" in response.json()["error"]["message"]

    statuses: list[int] = []

    async def main():
        async with http_session(f"{keyed_url}/mcp", headers, statuses):
            pass

    with pytest.raises(ExceptionGroup) as refused:  # the SDK client: initialize fails
        anyio.run(main)
    assert refused.group_contains(MCPError)
    assert statuses == [401]


def test_http_mount_accepts_the_key(keyed_url):
    statuses: list[int] = []

    async def main():
        async with http_session(
            f"{keyed_url}/mcp", {"Authorization": "Bearer k"}, statuses
        ) as session:
            return await session.call_tool("ask", {"question": TROOPS_QUESTION})

    reply = anyio.run(main)
    assert statuses and set(statuses) <= {200, 202}, statuses
    assert reply.is_error is False
    assert reply.structured_content["citations"][0]["article_id"] == "troops"


def test_http_mount_keeps_the_body_limit(keyed_url):
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "ask", "arguments": {"question": "x" * 3000}},
    }
    response = httpx.post(
        f"{keyed_url}/mcp", json=call, timeout=30, headers={"Authorization": "Bearer k"}
    )
    assert response.status_code == 413
    assert "at most 2048 bytes" in response.json()["error"]["message"]
