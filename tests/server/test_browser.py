"""Acceptance: ``python app.py`` serves a chat that a real headless Chromium can use.

Real default embedder, real ``corpus/``, the server as a subprocess exactly as a user
starts it; the screenshot is saved under ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import SEED_QUESTION, free_port, page_on

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"

pytestmark = pytest.mark.integration


def server_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env.update(
        GRADIO_ANALYTICS_ENABLED="False",
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        OMP_WAIT_POLICY="PASSIVE",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``python app.py`` on a fresh index of corpus/ with the real embedder: (URL, index)."""
    tmp_path = tmp_path_factory.mktemp("served")
    index, env = tmp_path / "index", server_env()
    subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(ROOT / "corpus"), "--index", str(index)],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=120,
    )
    port = free_port()
    log = (tmp_path / "server.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--index", str(index), "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield _wait_for_url(proc, log, timeout=120), index
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


def _wait_for_url(proc, log, timeout: float) -> str:
    """The URL the server prints once it is about to listen; fails with the log otherwise."""
    import httpx

    deadline, text = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        log.seek(0)
        text = log.read()
        match = re.search(r"open the chat at (http://\S+/)", text)
        if match:
            try:
                if httpx.get(match.group(1) + "healthz", timeout=2).status_code == 200:
                    return match.group(1)
            except httpx.HTTPError:
                pass
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{text}")
        time.sleep(0.3)
    raise RuntimeError(f"app.py did not serve within {timeout} s:\n{text}")


def test_browser_chat_answers_the_seed_question_with_a_cited_source(served, chromium, tmp_path):
    app_server = served[0]
    ARTIFACTS.mkdir(exist_ok=True)
    with page_on(chromium) as page:
        outside: list[str] = []  # the page must not fetch anything from elsewhere
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if not r.url.startswith((app_server, "data:", "blob:"))
                else None
            ),
        )
        page.goto(app_server, wait_until="domcontentloaded")
        box = page.locator("#question textarea")
        box.fill(SEED_QUESTION)
        page.locator("#ask").click()
        page.locator("#sources .source-card").first.wait_for()
        page.locator("#chat sup").first.wait_for()
        chat, sources = (
            page.locator("#chat").inner_text(),
            page.locator("#sources").inner_text(),
        )
        page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)
        assert "12.000" in chat
        assert "[1]" in chat
        assert "[1] Putin nennt Entsendung nordkoreanischer Truppen" in sources
        assert "12.000" in page.locator("#sources mark").first.inner_text()
        page.get_by_role("tab", name="Index").click()
        page.get_by_text(re.compile(r"1 articles, \d+ chunks")).wait_for()
        _upload_from_the_browser(page, tmp_path)
        page.screenshot(path=str(ARTIFACTS / "browser-index.png"), full_page=True)
        assert outside == []
    assert (ARTIFACTS / "browser-chat.png").stat().st_size > 10_000


def _upload_from_the_browser(page, tmp_path: Path) -> None:
    """Index one good and one broken file from the Index tab; both outcomes are shown."""
    good = tmp_path / "sturm.md"
    good.write_text(
        "---\ntitle: Sturm an der Küste\nsource: Browser-Upload\n---\n"
        "Ein Sturm mit 140 km/h traf am Samstag die Nordseeküste.",
        encoding="utf-8",
    )
    broken = tmp_path / "kaputt.md"
    broken.write_text("---\nautor: x\n---\nText", encoding="utf-8")
    page.locator("input[type=file]").set_input_files([str(good), str(broken)])
    page.get_by_role("button", name="Index files").click()
    report = page.locator("#ingest-report")
    report.get_by_text(re.compile(r"articles: 1 added")).wait_for()
    assert "kaputt.md" in report.inner_text() and "autor" in report.inner_text()
    page.get_by_text(re.compile(r"2 articles, \d+ chunks")).wait_for()


def test_real_api_matches_the_cli_and_the_openai_stream_carries_citations(served):
    import httpx
    import openai

    url, index = served
    api = httpx.post(url + "api/ask", json={"question": SEED_QUESTION}, timeout=60).json()
    cli = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--json", "--index", str(index), SEED_QUESTION],
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = json.loads(cli.stdout)
    assert "12.000" in api["answer"] and "[1]" in api["answer"]
    assert (api["answer"], api["citations"]) == (printed["answer"], printed["citations"])
    client = openai.OpenAI(base_url=url + "v1", api_key="unused", max_retries=0, timeout=60)
    chunks = list(
        client.chat.completions.create(
            model="news-assistant",
            stream=True,
            messages=[{"role": "user", "content": SEED_QUESTION}],
        )
    )
    final = chunks[-1].model_extra
    assert chunks[-1].choices[0].finish_reason == "stop"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert final["citations"] == api["citations"] and streamed == api["answer"]
    assert "12.000" in streamed
