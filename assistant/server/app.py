"""The combined app: the HTTP API and the Gradio UI on one FastAPI app, one port."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ..chain import Assistant
from ..errors import AssistantError
from .openapi import install
from .security import GuardMiddleware, check_exposure
from .state import ServerState

DESCRIPTION = (
    "Question answering over German and English news with checked citations. "
    "`/api/*` is this assistant's API (answers are kept as conversations that readers can "
    "rate: `/api/conversations`, `/api/feedback`); `/v1/*` is OpenAI-compatible; `/mcp` is "
    "its Model Context Protocol server (tools ask, search). "
    "See docs/api.md."
)


def build_app(assistant: Assistant, with_ui: bool = True):
    """FastAPI app with the API routes, error handlers, guards and (optionally) the UI."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported
    from fastapi import FastAPI

    from .api import build_fallback, build_router
    from .conversations_api import build_conversations_router
    from .openai_api import build_openai_router

    state = ServerState(assistant)
    app = FastAPI(title="News assistant", version="0.1.0", description=DESCRIPTION)
    app.state.assistant_state = state
    routers = (
        build_router(state),
        build_conversations_router(state),
        build_openai_router(state),
    )
    for router in routers:
        app.include_router(router)
    from .mcp import mount_mcp

    mount_mcp(app, assistant)  # /mcp: the MCP tools over streamable HTTP
    app.router.lifespan_context = _closing(assistant, app.router.lifespan_context)
    app.include_router(build_fallback(app.routes))  # after every API route, before the UI
    install(app, assistant.settings)  # /openapi.json: the contract (openapi.py)
    _add_error_handlers(app)
    app.add_middleware(GuardMiddleware, settings=assistant.settings)
    if with_ui:
        import gradio as gr

        from .ui import CSS, build_blocks

        app = gr.mount_gradio_app(
            app,
            build_blocks(state),
            path="/",
            ssr_mode=False,
            max_file_size=assistant.settings.max_upload_bytes,
            footer_links=["api"],
            css=CSS,
            mcp_server=False,
        )
    return app


def _closing(assistant: Assistant, lifespan):
    """``lifespan``, then ``assistant.close()`` when the app shuts down."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def running(app):
        try:
            async with lifespan(app) as state:
                yield state
        finally:
            assistant.close()

    return running


def _add_error_handlers(app) -> None:
    """Every failure a client can cause is a 4xx with the one error shape (``wire.py``)."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    from .wire import assistant_error_body, error_body, error_status, for_path

    def reply(request: Request, status: int, body: dict, headers: Mapping | None = None):
        return JSONResponse(for_path(request.url.path, body), status, headers)

    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError):
        return reply(request, error_status(exc), assistant_error_body(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        malformed = any(e.get("type") == "json_invalid" for e in errors)
        message = "; ".join(_describe(e) for e in errors)
        body = error_body(
            400 if malformed else 422,
            ("malformed JSON: " if malformed else "invalid request: ") + message,
        )
        body["error"]["detail"] = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in errors]
        return reply(request, 400 if malformed else 422, body)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        message = str(exc.detail)
        allow = (exc.headers or {}).get("Allow")
        if exc.status_code == 405 and allow and message == "Method Not Allowed":  # Starlette's
            expected = allow.replace(", ", " or ")
            message = f"expected {expected} for {request.url.path}, got {request.method}"
        body = error_body(exc.status_code, message)
        return reply(request, exc.status_code, body, exc.headers)


def serve(
    assistant: Assistant,
    open_browser: bool = False,
    on_start: Callable[[ServerState], object] | None = None,
) -> None:
    """Serve UI + API for ``assistant`` on the configured host and port until interrupted;
    ``on_start`` gets the server's state first (``--refresh`` starts feed polling there)."""
    import uvicorn

    settings = assistant.settings
    check_exposure(settings)
    if assistant.model_problem is not None:  # a server that cannot answer must not start
        raise assistant.model_problem
    app = build_app(assistant)
    if on_start is not None:
        on_start(app.state.assistant_state)
    url = f"http://{_display_host(settings.host)}:{settings.port}/"
    print(f"News assistant: open the chat at {url}  (API docs: {url}docs)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def _describe(error: dict) -> str:
    """``field.path: message`` for one validation error (the JSON error itself if malformed)."""
    if error.get("type") == "json_invalid":
        return str((error.get("ctx") or {}).get("error", error.get("msg")))
    where = ".".join(str(x) for x in error.get("loc", ()) if x != "body")
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host
