"""The Model Context Protocol server: the assistant as two tools for agents, ``ask`` and ``search``.

Why: an agent (Claude Desktop, an IDE, any MCP client) can then answer from the indexed
articles with citations it can check, instead of scraping the HTTP API. The tools take the
same request as every other channel (``AskRequest`` with ``Filters.parse``, the one filter
parser) and return the same JSON (``Answer.to_dict()``); a failure the caller caused is a
tool error whose text is the one error shape of ``wire.py``, never a crash.

Two transports serve the same server: stdio (``assistant mcp``; stdout is the protocol
stream) and streamable HTTP at ``/mcp`` on the app (``mount_mcp``), behind the one
authentication of every route (``security.py``).

The tools' ``inputSchema`` is their contract, as the OpenAPI document is the HTTP API's: it
declares the values every door accepts (``inputs.py``: a question not blank and at most
``max_question_chars``, a language, days, ``top_k`` 0-100), checked by the one request
parser behind the tool, so a value outside them is a tool error with the chain's message.
``ToolContract`` (middleware, both transports) adds what the SDK would answer in its own
words: arguments of the wrong JSON type or missing (the SDK's pydantic would also take
``"5"`` for an integer) and an unknown tool are tool errors in the one error shape too, and
``tools/list`` states the configured ``max_question_chars``, not the default.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field
from starlette.routing import Route

from ..chain import Assistant
from ..dates import parse_as_of
from ..errors import AssistantError
from ..records import Answer, AskRequest, Evidence, Filters
from .inputs import DAY, LANGUAGE, QUESTION, TOP_K, checked_length
from .tool_contract import ToolContract
from .wire import assistant_error_body

MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "Answers questions about a fixed collection of German and English news articles. Use "
    "`ask` for an answer with checked citations, `search` to see which article passages "
    "match. Only the indexed articles are known; nothing is looked up on the web."
)

ASK_DESCRIPTION = """Answer a question from the indexed news articles, with citations.

Returns Answer JSON: `answer` is the text with inline markers [n]; every [n] is the entry of
`citations` whose `n` equals it (title, source, published, url, the supporting `quote`, and
the whole chunk `text`). `sentences` lists each factual sentence with its citation numbers
and whether the check found it `supported` by the cited quote. When the articles do not say,
the assistant declines instead of guessing: `answerable` is false and `citations` is empty.
`confidence` (0..1) is how likely the articles answer at all; `retrieved` lists the ranked
chunks. Ask in German or English; the answer is in the question's language. Each call is one
standalone question (no conversation memory): put all context into `question`."""

SEARCH_DESCRIPTION = """Find the article passages (chunks) that best match a query.

Returns `results`, best first: rank (1 = best), chunk_id, article_id, title, source,
published (YYYY-MM-DD or ""), url, score (0..1, how likely the chunk answers the query) and
the chunk `text`. Uses the same retrieval and ranking as `ask`; use it to browse or to read
more around a citation, and `ask` for an answer."""

Language = Annotated[
    str | None,
    Field(
        description="only articles in this language: 'de' or 'en'; blank: any",
        json_schema_extra=dict(LANGUAGE),
    ),
]
Source = Annotated[
    str | None,
    Field(description="only articles from this source (its name as in citations[].source)"),
]
From = Annotated[
    str | None,
    Field(
        description="only articles published on or after this day, YYYY-MM-DD (on or before "
        "published_to); blank: any",
        json_schema_extra=dict(DAY),
    ),
]
To = Annotated[
    str | None,
    Field(
        description="only articles published on or before this day, YYYY-MM-DD; blank: any",
        json_schema_extra=dict(DAY),
    ),
]
Question = Annotated[
    str,
    Field(
        description="the question, in German or English; not blank, at most "
        "max_question_chars characters (maxLength)",
        json_schema_extra=dict(QUESTION),
    ),
]
AsOf = Annotated[
    str | None,
    Field(
        description="YYYY-MM-DD: the day 'yesterday', 'letzte Woche' count from; default today",
        json_schema_extra=dict(DAY),
    ),
]
Timeline = Annotated[
    bool | None,
    Field(
        description="true: dated quotes from several articles in date order; "
        "omitted: when the question asks how something developed"
    ),
]
Query = Annotated[
    str,
    Field(
        description="what to look for, in German or English; not blank, at most "
        "max_question_chars characters (maxLength)",
        json_schema_extra=dict(QUESTION),
    ),
]
AnswerTopK = Annotated[
    int | None,
    Field(
        description="chunks the answer may cite, 0-100; omitted: the configured number",
        json_schema_extra=dict(TOP_K),
    ),
]
SearchTopK = Annotated[
    int, Field(description="how many chunks to return, 0-100", json_schema_extra=dict(TOP_K))
]
READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


class SearchHit(BaseModel):
    """One ranked chunk of an article."""

    rank: int = Field(description="1 = best match")
    chunk_id: str
    article_id: str
    title: str
    source: str
    published: str = Field(description="YYYY-MM-DD, or empty when unknown")
    url: str
    score: float = Field(description="probability that this chunk answers the query, 0..1")
    text: str = Field(description="the chunk text, verbatim from the article")


class SearchResults(BaseModel):
    """The chunks found for a query, best first."""

    query: str = Field(description="the query as searched")
    results: list[SearchHit]


def build_mcp(assistant: Assistant) -> MCPServer:
    """The MCP server with the tools ``ask`` (``assistant.ask``) and ``search``
    (``assistant.search``: ranked, not answered)."""
    server = MCPServer(
        "news-assistant",
        title="News assistant",
        version="0.1.0",
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )
    server.middleware.append(ToolContract(server, assistant.settings))
    limit = assistant.settings.max_question_chars

    @server.tool(description=ASK_DESCRIPTION, title="Ask the news articles", annotations=READ_ONLY)
    def ask(
        question: Question,
        language: Language = None,
        source: Source = None,
        published_from: From = None,
        published_to: To = None,
        top_k: AnswerTopK = None,
        as_of: AsOf = None,
        timeline: Timeline = None,
    ) -> Annotated[CallToolResult, dict[str, Any]]:
        filters = (language, source, published_from, published_to)
        return respond(
            assistant, question, filters, top_k, Answer.to_dict, as_of, timeline, limit=limit
        )

    @server.tool(
        description=SEARCH_DESCRIPTION, title="Search the news articles", annotations=READ_ONLY
    )
    def search(
        query: Query,
        language: Language = None,
        source: Source = None,
        published_from: From = None,
        published_to: To = None,
        top_k: SearchTopK = 5,
    ) -> Annotated[CallToolResult, SearchResults]:
        filters = (language, source, published_from, published_to)
        try:
            checked_length(query, limit)
            request = AskRequest(question=query, filters=Filters.parse(*filters), top_k=top_k)
            return _json_result(search_results(*assistant.search(request)))
        except AssistantError as exc:
            return _json_result(assistant_error_body(exc), error=True)

    return server


def respond(
    assistant: Assistant,
    question: str,
    filters: tuple,
    top_k: int | None,
    shape: Callable[[Answer], dict],
    as_of: str | None = None,
    timeline: bool | None = None,
    limit: int | None = None,
) -> CallToolResult:
    """``shape(answer)`` for the one request record, as structured content and as its JSON
    text; an AssistantError is a tool error whose text is the wire error body
    (``{"error": {"type", "message"}}``), so the calling model can read and correct it."""
    try:
        if limit is not None:
            checked_length(question, limit)
        filtered = Filters.parse(*filters)
        request = AskRequest(
            question=question,
            filters=filtered,
            top_k=top_k,
            as_of=parse_as_of(as_of),
            timeline=timeline,
        )
        answer = assistant.ask(request)
    except AssistantError as exc:
        return _json_result(assistant_error_body(exc), error=True)
    return _json_result(shape(answer))


def _json_result(data: dict, error: bool = False) -> CallToolResult:
    text = TextContent(type="text", text=json.dumps(data, ensure_ascii=False))
    return CallToolResult(
        content=[text], structured_content=None if error else data, is_error=error
    )


def search_results(query: str, evidence: Evidence) -> dict:
    """The ranked chunks, with the fields a reader needs to cite them (SearchResults)."""
    hits = [
        {
            "rank": r.rank,
            "chunk_id": r.chunk.id,
            "article_id": r.chunk.article_id,
            "title": r.chunk.title,
            "source": r.chunk.source,
            "published": r.chunk.published,
            "url": r.chunk.url,
            "score": round(r.score, 4),
            "text": r.chunk.text,
        }
        for r in evidence.retrieved
    ]
    return {"query": query, "results": hits}


def run_stdio(assistant: Assistant) -> None:
    """Serve over stdin/stdout until the client closes stdin (the SDK keeps stray writes off
    stdout while it serves: fd 1 points at stderr then)."""
    if assistant.model_problem is not None:  # a server that cannot answer must not start
        raise assistant.model_problem
    build_mcp(assistant).run(transport="stdio")


def mount_mcp(app, assistant: Assistant) -> None:
    """Serve the MCP server over streamable HTTP at ``/mcp`` (and ``/mcp/``) on ``app``.

    Stateless with JSON responses: each POST is answered on its own, so no session lives on
    the server and nothing needs a sticky connection. The SDK's session manager must run for
    as long as the app does, so it is entered in the app's lifespan (around whatever lifespan
    the app had; Gradio, mounted later, wraps this one in turn). The route is added before
    the UI's catch-all mount, and the GuardMiddleware in front of it checks the credentials.
    """
    settings = assistant.settings
    server = build_mcp(assistant)
    http = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        host=settings.host,
        max_request_body_size=settings.max_body_bytes,
    )
    endpoint = next(
        route.endpoint
        for route in http.routes
        if isinstance(route, Route) and route.path == MCP_PATH
    )
    for path in (MCP_PATH, MCP_PATH + "/"):
        app.router.add_route(path, endpoint, include_in_schema=False)
    app.router.lifespan_context = _with_manager(server.session_manager, app.router.lifespan_context)


def _with_manager(manager, lifespan):
    """``lifespan`` with the MCP session manager running around it."""

    @asynccontextmanager
    async def running(app):
        async with manager.run(), lifespan(app) as state:
            yield state

    return running
