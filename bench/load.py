"""Load on the HTTP API: many clients at once, streaming clients, and both during an upload.

    python bench/load.py [--clients 50] [--questions 20] [--streams 20]

Starts ``assistant serve`` (the default embedded model, extractive answers) on an index of
40 real news articles, then runs three phases against it:

1. ``clients`` x ``questions`` ``POST /api/ask``, all clients at once;
   (twice: memory growth in the second round would be a leak);
2. ``streams`` clients reading ``POST /api/ask?stream=true`` to its last event;
3. phase 1 again while ``POST /api/ingest`` uploads 20 more articles.

Each phase reports requests, errors (any non-200, any stream without its ``answer`` event),
p50/p95 latency and the server's resident memory before and after. The baseline in the same
run is one client asking the same questions one after another.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import news  # noqa: E402
from run import RESULTS, record  # noqa: E402

QUESTIONS = [
    "Wie viele Soldaten hat Nordkorea nach Russland geschickt?",
    "What did the central bank decide about interest rates?",
    "Wer hat die Wahl gewonnen?",
    "How many people died in the earthquake?",
    "Was sagte der Minister über die Steuern?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def summary(latencies: list[float], errors: int) -> dict:
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p95_ms": round(p95 * 1000, 1),
    }


async def ask_many(base: str, clients: int, questions: int) -> dict:
    latencies: list[float] = []
    errors = 0

    async def client(number: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            for i in range(questions):
                body = {"question": QUESTIONS[(number + i) % len(QUESTIONS)]}
                started = time.perf_counter()
                response = await http.post("/api/ask", json=body)
                if response.status_code == 200 and "answer" in response.json():
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return {**summary(latencies, errors), "wall_s": round(time.perf_counter() - started, 1)}


async def stream_many(base: str, clients: int) -> dict:
    latencies: list[float] = []
    first_events: list[float] = []
    errors = 0

    async def client(number: int) -> None:
        nonlocal errors
        body = {"question": QUESTIONS[number % len(QUESTIONS)]}
        started = time.perf_counter()
        async with (
            httpx.AsyncClient(base_url=base, timeout=300) as http,
            http.stream("POST", "/api/ask?stream=true", json=body) as response,
        ):
            events = []
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    if not events:
                        first_events.append(time.perf_counter() - started)
                    events.append(line.split(":", 1)[1].strip())
        if response.status_code == 200 and events and events[-1] == "answer":
            latencies.append(time.perf_counter() - started)
        else:
            errors += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    first = summary(first_events, 0)
    return {**summary(latencies, errors), "first_event_p50_ms": first["p50_ms"]}


async def upload(base: str, path: Path) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        started = time.perf_counter()
        with open(path, "rb") as handle:
            response = await http.post("/api/ingest", files={"files": (path.name, handle)})
        return {
            "status": response.status_code,
            "seconds": round(time.perf_counter() - started, 1),
            "added": response.json().get("added"),
        }


async def during_upload(base: str, path: Path, clients: int, questions: int) -> dict:
    loaded, uploaded = await asyncio.gather(ask_many(base, clients, questions), upload(base, path))
    return {**loaded, "upload": uploaded}


def start_server(index: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index), "ASSISTANT_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve"], env=env, stdout=subprocess.DEVNULL
    )
    for _ in range(240):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("the server did not start within 2 minutes")


async def phases(base: str, pid: int, args, extra: Path) -> dict:
    out: dict = {"rss_cold_mb": rss_mb(pid)}
    out["baseline_one_client"] = await ask_many(base, 1, len(QUESTIONS) * 4)
    out["rss_start_mb"] = rss_mb(pid)  # warm: every lazy model and table loaded
    out["ask"] = await ask_many(base, args.clients, args.questions)
    out["rss_after_ask_mb"] = rss_mb(pid)
    out["ask_again"] = await ask_many(base, args.clients, args.questions)
    out["rss_after_ask_again_mb"] = rss_mb(pid)  # growth here would be a leak
    out["stream"] = await stream_many(base, args.streams)
    out["ask_during_upload"] = await during_upload(base, extra, args.clients, args.questions)
    out["rss_end_mb"] = rss_mb(pid)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--streams", type=int, default=20)
    args = parser.parse_args()
    articles = RESULTS / "news-60.jsonl"
    if not articles.exists():
        news.write_jsonl(articles, 60)
    lines = articles.read_text(encoding="utf-8").splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        first, extra = Path(tmp) / "first.jsonl", Path(tmp) / "extra.jsonl"
        first.write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
        extra.write_text("\n".join(lines[40:]) + "\n", encoding="utf-8")
        index = Path(tmp) / "index"
        subprocess.run(
            [sys.executable, "-m", "assistant", "ingest", str(first), "--index", str(index)],
            check=True,
        )
        port = free_port()
        server = start_server(index, port)
        try:
            result = asyncio.run(phases(f"http://127.0.0.1:{port}", server.pid, args, extra))
        finally:
            server.terminate()
            server.wait(timeout=30)
    record("load", {**vars(args), **result})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
