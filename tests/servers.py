"""Real local servers for integration tests: Chroma, xllamacpp, a scripted OpenAI API.

Each binds 127.0.0.1 on a free port, waits (bounded) until ready, and stops on exit.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except Exception:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@contextlib.contextmanager
def chroma_server(path: Path):
    """``chroma run`` on loopback; yields the port."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(VENV_BIN / "chroma"),
            "run",
            "--path",
            str(path),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", 60, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


LLAMA_SCRIPT = """
import sys, time, xllamacpp
p = xllamacpp.CommonParams()
p.model.path = sys.argv[1]
p.hostnames = ["127.0.0.1"]
p.port = int(sys.argv[2])
p.n_ctx = 4096
p.cpuparams.n_threads = 2
p.model_alias = "smollm2"
server = xllamacpp.Server(p)
while True:
    time.sleep(3600)
"""


@contextlib.contextmanager
def llama_server(gguf: Path):
    """xllamacpp's OpenAI-compatible server with a GGUF model; yields the base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LLAMA_SCRIPT, str(gguf), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/v1/models", 120, process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.kill()
        process.wait(timeout=20)


class ScriptedOpenAI:
    """A minimal OpenAI API: chat completions (streamed or not) and embeddings.

    ``replies`` are returned in order; ``requests`` records every JSON body received.
    """

    def __init__(self, replies: list[str], embedding_dim: int = 8, fail_status: int = 0):
        self.replies = list(replies)
        self.requests: list[dict] = []
        self.embedding_dim = embedding_dim
        self.fail_status = fail_status

    def __enter__(self) -> str:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                scripted.requests.append(body)
                if scripted.fail_status:
                    return self._json(
                        {"error": {"message": "scripted failure"}}, scripted.fail_status
                    )
                if self.path.endswith("/embeddings"):
                    return self._json(scripted.embeddings(body))
                reply = scripted.replies.pop(0) if scripted.replies else "The articles don't say."
                if body.get("stream"):
                    return self._stream(reply, body.get("model", "m"))
                return self._json(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "m"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": reply},
                            }
                        ],
                    }
                )

            def _json(self, payload, status=200):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply, model):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for piece in [reply[i : i + 7] for i in range(0, len(reply), 7)] + [None]:
                    delta = {"content": piece} if piece is not None else {}
                    chunk = {
                        "id": "x",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "delta": delta,
                                "finish_reason": None if piece is not None else "stop",
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def vector(self, text: str) -> list[float]:
        """The server's (unnormalised) vector of one text: a bag of words."""
        vector = [0.0] * self.embedding_dim
        for word in text.lower().split():
            vector[sum(map(ord, word)) % self.embedding_dim] += 1.0
        return vector

    def embeddings(self, body: dict) -> dict:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        data = [
            {"object": "embedding", "index": i, "embedding": self.vector(str(text))}
            for i, text in enumerate(texts)
        ]
        return {
            "object": "list",
            "data": data,
            "model": body.get("model", "m"),
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def silent_server(hold_s: float = 30.0):
    """An HTTP server on loopback that reads each request and then says nothing for
    ``hold_s`` seconds (a provider that hangs); yields its ``/v1`` base URL and the list of
    request paths it received, one per attempt."""
    released = threading.Event()
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            requests.append(self.path)
            released.wait(hold_s)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    finally:
        released.set()
        server.shutdown()
        server.server_close()
