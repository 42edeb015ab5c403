"""Entry points: ``python app.py`` and ``assistant serve`` share flags; imports stay light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_app_py_and_assistant_serve_take_the_same_flags():
    app = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    serve = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert app == serve
    for flag in ("--host HOST", "--port PORT", "--index INDEX"):
        assert flag in app


def test_importing_the_server_package_loads_no_web_framework():
    code = (
        "import sys, assistant.server; "
        "print(sorted(m for m in ('gradio', 'fastapi', 'uvicorn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.strip() == "[]"
