"""Two uvicorn workers against one ``chroma run`` server, with ingest while answering.

The app is started the way an operator would run several processes:
``uvicorn --factory assistant.server.factory:create_api_app --workers 2`` with
``ASSISTANT_CHROMA_HOST/PORT`` pointing at the Chroma server, the hashing embedder and a
hand-set answer model (fast). The workers share ``INDEX_DIR`` on this machine: the keyword
index (SQLite, WAL), the ingest lock, uploads and conversations live there, the vectors in
the Chroma server.

Which worker served a request: uvicorn's access log, configured here to print the
worker's pid and the client's address, so a request is tied to its worker by the local
port of the connection that carried it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, write_fake_model

from tests.servers import chroma_server, free_port, wait_http

pytestmark = pytest.mark.integration

LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "access": {
            "()": "uvicorn.logging.AccessFormatter",
            "fmt": "ACCESS pid=%(process)d client=%(client_addr)s %(request_line)s %(status_code)s",
            "use_colors": False,
        },
        "default": {
            "()": "uvicorn.logging.DefaultFormatter",
            "fmt": "%(levelprefix)s pid=%(process)d %(message)s",
            "use_colors": False,
        },
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        },
        "default": {
            "class": "logging.StreamHandler",
            "formatter": "default",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
ACCESS = re.compile(r"ACCESS pid=(\d+) client=127\.0\.0\.1:(\d+) (\S+) (\S+) \S+ (\d+)")

# made-up names: every article is the only one that holds its words
NAMES = ["Quorvath", "Melindrax", "Tovereign", "Sapphelon", "Drumveil", "Castorwyn", "Peloquin"]
TOWNS = ["Ardelholm", "Brisktown", "Corvale", "Dunmerrow", "Elsenport", "Fallowmere", "Glimstead"]


def article(i: int) -> dict:
    name, town = NAMES[i], TOWNS[i]
    return {
        "id": f"bridge-{i}",
        "title": f"The {name} bridge opens in {town}",
        "text": (
            f"The {name} bridge in {town} opened on Monday after {3 + i} years of work. "
            f"The {name} bridge is {400 + 17 * i} metres long and cost {20 + i} million euros. "
            f"Engineers from {town} designed the {name} bridge."
        ),
        "language": "en",
        "source": "Test Wire",
        "published": f"2024-11-0{1 + i}",
    }


def question(i: int) -> str:
    return f"How long is the {NAMES[i]} bridge in {TOWNS[i]}?"


def child_env(index: Path, model: Path, chroma_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(
        ASSISTANT_CHROMA_HOST="127.0.0.1",
        ASSISTANT_CHROMA_PORT=str(chroma_port),
        ASSISTANT_INDEX_DIR=str(index),
        ASSISTANT_EMBEDDINGS="fake",
        ASSISTANT_ANSWER_MODEL=str(model),
        ANONYMIZED_TELEMETRY="False",
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
    )
    return env


class Cluster:
    """Two workers behind one port; requests are tied to a worker through the access log."""

    def __init__(
        self, base: str, parent: subprocess.Popen, access_log: Path, index: Path, chroma: int
    ):
        self.base = base
        self.chroma_port = chroma
        self.parent = parent
        self.access_log = access_log
        self.index = index

    def workers(self) -> list[int]:
        """The pids of the uvicorn parent's worker processes (children running the app)."""
        pids = []
        for task in Path(f"/proc/{self.parent.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"multiprocessing.resource_tracker" not in cmdline:
                    pids.append(int(pid))
        return sorted(pids)

    def served(self) -> list[tuple[int, int, str, str, int]]:
        """(pid, client port, method, path, status) of every logged request, in order."""
        text = self.access_log.read_text(encoding="utf-8", errors="replace")
        return [(int(m[1]), int(m[2]), m[3], m[4], int(m[5])) for m in ACCESS.finditer(text)]

    def pid_of(self, client_port: int, path: str) -> int:
        """The worker that served the last request on ``path`` from ``client_port``."""
        for _ in range(50):  # the worker logs as it starts the response; allow a flush
            hits = [s[0] for s in self.served() if s[1] == client_port and s[3] == path]
            if hits:
                return hits[-1]
            time.sleep(0.05)
        raise AssertionError(f"no access log line for port {client_port} {path}")


def local_port(response: httpx.Response) -> int:
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multiprocess")
    model = write_fake_model(tmp / "answer-model.json")
    (tmp / "log.json").write_text(json.dumps(LOG_CONFIG), encoding="utf-8")
    index = tmp / "index"
    seed = tmp / "seed.jsonl"
    seed.write_text(json.dumps(article(0)) + "\n", encoding="utf-8")
    with chroma_server(tmp / "chroma") as chroma_port:
        env = child_env(index, model, chroma_port)
        subprocess.run(  # the CLI ingests against the same server before the workers start
            [sys.executable, "-m", "assistant", "ingest", str(seed)],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = free_port()
        access_log, errors = tmp / "access.log", tmp / "uvicorn.err"
        with open(access_log, "wb") as out, open(errors, "wb") as err:
            parent = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "assistant.server.factory:create_api_app",
                    "--workers",
                    "2",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--timeout-keep-alive",
                    "120",
                    "--log-config",
                    str(tmp / "log.json"),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group: teardown stops every worker
            )
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz", 120, parent)
            yield Cluster(f"http://127.0.0.1:{port}", parent, access_log, index, chroma_port)
        finally:
            _stop_group(parent)


def _stop_group(parent: subprocess.Popen) -> None:
    try:
        os.killpg(parent.pid, signal.SIGTERM)
        parent.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
    except ProcessLookupError:
        pass
    with contextlib.suppress(ProcessLookupError):  # a worker that outlived its parent
        os.killpg(parent.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def pinned(cluster):
    """One kept-alive connection per worker: {pid: client}, found by opening connections
    until each worker has accepted one."""
    workers = cluster.workers()
    assert len(workers) == 2, f"expected two workers under uvicorn, got {workers}"
    found: dict[int, httpx.Client] = {}
    spare: list[httpx.Client] = []
    for _ in range(20):
        batch = [httpx.Client(base_url=cluster.base, timeout=60) for _ in range(6)]
        threads = [threading.Thread(target=c.get, args=("/healthz",)) for c in batch]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for client in batch:
            response = client.get("/healthz")  # on the same kept-alive connection
            assert response.status_code == 200
            pid = cluster.pid_of(local_port(response), "/healthz")
            if pid not in found:
                found[pid] = client
            else:
                spare.append(client)
        if len(found) == 2:
            break
    for client in spare:
        client.close()
    assert sorted(found) == workers, f"connections reached {sorted(found)}, workers {workers}"
    yield found
    for client in found.values():
        client.close()


def upload(client: httpx.Client, i: int) -> httpx.Response:
    line = json.dumps(article(i)) + "\n"
    return client.post("/api/ingest", files={"files": (f"bridge-{i}.jsonl", line.encode())})


def test_two_workers_answer_while_ingesting(cluster, pinned):
    workers = sorted(pinned)
    for client in pinned.values():  # each worker's first answer loads its lazy parts (word
        # frequencies, the lexicon: seconds); a cold worker once let only 3 questions through
        # the whole window, all to one worker
        assert client.post("/api/ask", json={"question": question(0)}, timeout=120).is_success
    before = len(cluster.served())
    stop = threading.Event()
    asked: list[tuple[int, float]] = []  # status, seconds
    failures: list[str] = []

    def asker(n: int) -> None:
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            try:  # a new connection per request: the kernel spreads them over the workers
                r = httpx.post(
                    cluster.base + "/api/ask", json={"question": question(i % 4)}, timeout=60
                )
                asked.append((r.status_code, time.perf_counter() - started))
                if r.status_code != 200 or "answer" not in r.json():
                    failures.append(f"{r.status_code} {r.text[:200]}")
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            i += 1

    threads = [threading.Thread(target=asker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    ingested: list[httpx.Response] = []
    try:
        time.sleep(1.0)  # questions flowing before the first upload
        for i in range(1, 5):  # one upload at a time, alternating between the workers
            ingested.append(upload(pinned[workers[i % 2]], i))
        time.sleep(1.0)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)

    assert not failures, failures[:5]
    assert [r.status_code for r in ingested] == [200] * 4, [r.text[:300] for r in ingested]
    assert all(r.json()["added"] == 1 for r in ingested)
    during = [s for s in cluster.served()[before:] if s[3] == "/api/ask"]
    by_worker = Counter(s[0] for s in during)
    assert set(by_worker) == set(workers), f"questions served by {dict(by_worker)}"
    assert all(s[4] == 200 for s in during)
    latencies = sorted(seconds for _, seconds in asked)
    print(
        f"\n{len(asked)} questions during 4 uploads, per worker {dict(by_worker)}, "
        f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )

    # every article, ingested by either worker, is found and answered by each worker
    for pid, client in pinned.items():
        for i in range(0, 5):
            r = client.post("/api/ask", json={"question": question(i)})
            assert r.status_code == 200, r.text[:300]
            assert cluster.pid_of(local_port(r), "/api/ask") == pid
            body = r.json()
            assert body["retrieved"][0]["article_id"] == f"bridge-{i}", (pid, i, body)
            assert body["answerable"], (pid, i, body["answer"])
            assert {c["article_id"] for c in body["citations"]} == {f"bridge-{i}"}
        stats = client.get("/api/index").json()
        assert stats["articles"] == 5, stats


def test_keyword_index_is_one_file_shared_and_in_step(cluster, pinned):
    """The keyword index lives under INDEX_DIR on this machine (not in the Chroma server):
    both workers hold the same file open, and its rows equal the chunks in Chroma."""
    from assistant import load_settings
    from assistant.providers import HashingEmbedder
    from assistant.stores import open_stores

    path = (cluster.index / "articles.keywords.sqlite3").resolve()
    assert path.is_file()
    for pid in pinned:
        open_files = {
            os.path.realpath(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")
        }
        assert str(path) in open_files, f"worker {pid} does not hold {path}"
    settings = load_settings(
        index_dir=cluster.index,
        chroma_host="127.0.0.1",
        chroma_port=cluster.chroma_port,
        embeddings="fake",
    )
    index, keywords = open_stores(settings, HashingEmbedder())
    manifest = index.manifest()
    assert sorted(manifest) == [f"bridge-{i}" for i in range(5)]
    in_chroma = {a: set(state.chunk_ids) for a, state in manifest.items()}
    assert keywords.chunk_ids() == in_chroma


def test_concurrent_uploads_on_two_workers(cluster, pinned):
    """The ingest lock is a non-blocking flock on INDEX_DIR/ingest.lock: within one worker
    uploads queue, but an upload that reaches the other worker while one runs is refused
    (503 store_error naming the holder) and can be sent again; nothing is half-written."""
    results: dict[int, httpx.Response] = {}

    def send(i: int, client: httpx.Client) -> None:
        results[i] = upload(client, i)

    workers = sorted(pinned)
    threads = [threading.Thread(target=send, args=(i, pinned[workers[i % 2]])) for i in (5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    print(f"\nconcurrent uploads on two workers: {[r.status_code for r in results.values()]}")
    for i, r in results.items():
        if r.status_code == 503:
            error = r.json()["error"]
            assert error["type"] == "store_error" and "ingest" in error["message"], error
            again = upload(pinned[workers[i % 2]], i)
            assert again.status_code == 200, again.text[:300]
        else:
            assert r.status_code == 200, r.text[:300]
    for client in pinned.values():
        assert client.get("/api/index").json()["articles"] == 7
        for i in (5, 6):
            body = client.post("/api/ask", json={"question": question(i)}).json()
            assert body["retrieved"][0]["article_id"] == f"bridge-{i}"
