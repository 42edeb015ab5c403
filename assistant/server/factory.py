"""App factories for running several server processes: ``uvicorn --factory --workers N``.

    ASSISTANT_CHROMA_HOST=127.0.0.1 ASSISTANT_CHROMA_PORT=8000 \\
    uvicorn --factory assistant.server.factory:create_app --workers 2 --port 7860

uvicorn needs an import string to start workers, and each worker must build its own
Assistant (its own Chroma client, SQLite connections, embedder) *after* it has started:
importing this module builds nothing. Settings come from the environment and config file
exactly as for ``assistant serve``; host and port are uvicorn's options here, so set
``ASSISTANT_HOST`` to the same host for the exposure check (keys beyond loopback) to apply.

``create_app`` serves the API and the browser chat; ``create_api_app`` the API only. The
browser chat keeps per-session state in the process that served the page, so with more
than one worker it needs a proxy with sticky sessions; the API is stateless per request
(conversations live in ``<index_dir>/conversations.sqlite3``, shared by every worker).
Feed polling (``serve --refresh``) is not started here: run one ``assistant watch`` beside
the workers instead of one poller per worker.
"""

from __future__ import annotations

import os


def _assistant():
    from ..chain import Assistant
    from ..config import load_settings
    from .security import check_exposure

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = load_settings()
    check_exposure(settings)
    if settings.chroma_host is None and not settings.index_dir.is_dir():
        from ..errors import ConfigError

        raise ConfigError(
            f"expected an index at {settings.index_dir}, got no such folder; "
            f"run `assistant ingest <articles> --index {settings.index_dir}` first"
        )
    assistant = Assistant.from_settings(settings)
    if assistant.model_problem is not None:  # a server that cannot answer must not start
        raise assistant.model_problem
    return assistant


def create_app():
    """The API and the browser chat, for one worker process."""
    from .app import build_app

    return build_app(_assistant())


def create_api_app():
    """The API only (``/api``, ``/v1``, ``/mcp``, ``/healthz``), for one worker process."""
    from .app import build_app

    return build_app(_assistant(), with_ui=False)
