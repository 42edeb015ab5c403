"""One server for the browser chat (Gradio) and the HTTP API (FastAPI), on one port.

Importing this package imports neither FastAPI nor Gradio; ``build_app`` and ``serve`` do.
"""

from .app import build_app, serve

__all__ = ["build_app", "serve"]
