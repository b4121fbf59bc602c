"""The console script as a user runs it: a real process, and a real HTTP server on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from tests.conftest import write_source

VERBATIM = [sys.executable, "-m", "app.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VERBATIM_CORPUS_DIR=str(settings.corpus_dir),
        VERBATIM_DATA_DIR=str(settings.data_dir),
        # Where `ask` looks for a service: a closed port unless a test says otherwise, so a
        # `verbatim serve` someone runs on the default port is never asked by these tests.
        VERBATIM_PORT=str(_free_port()),
        HF_HUB_OFFLINE="1",
    )
    env.update(extra)
    return env


def _run(
    args: list[str], env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(VERBATIM + args, env=env, capture_output=True, text=True, timeout=timeout)


def test_ask_json_prints_exactly_the_response_body(settings: Settings) -> None:
    r = _run(
        ["ask", "--json", "How much money does the Wagner Group spend each month?"], _env(settings)
    )
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["status"] == "answered"
    assert set(body) == {"status", "answer", "citations", "decline_reason", "corpus_version"}
    # No service on the port it looks at: it says so, and how long answering here takes.
    assert "no service at http://127.0.0.1:" in r.stderr
    assert "a cold start takes about" in r.stderr


def test_ask_plain_shows_answer_and_citations(settings: Settings) -> None:
    r = _run(["ask", "How many Wagner fighters were killed in Libya?"], _env(settings))
    assert r.returncode == 0, r.stderr
    assert "declined: figure_not_in_corpus" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required"),
        (["ask"], "required"),
        (["ask", "   "], "question is empty"),
        (["ask", "x", "--source", "nope"], "unknown source_ids"),
        (["frobnicate"], "invalid choice"),
        (["serve", "--port", "99999"], "out of range"),
        (["eval", "nosuch"], "unknown suite"),
    ],
)
def test_bad_arguments_get_one_line_and_non_zero_exit(
    settings: Settings, args: list[str], message: str
) -> None:
    r = _run(args, _env(settings))
    out = (r.stderr + r.stdout).strip()
    assert r.returncode != 0
    assert message in out
    assert "Traceback" not in out and len(out.splitlines()) == 1


def test_malformed_corpus_refuses_with_every_bad_file_named(
    tmp_path: Path, settings: Settings
) -> None:
    write_source(tmp_path, "good.md", "Fine.")
    (tmp_path / "broken.md").write_text("---\ntitle: [\n---\nbody", encoding="utf-8")
    (tmp_path / "hollow.md").write_text("   \n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\u00e9".encode("latin-1"))
    bad = settings.model_copy(update={"corpus_dir": tmp_path, "data_dir": tmp_path / "data"})
    for args in (["ingest"], ["serve", "--port", "8799"], ["ask", "anything"]):
        r = _run(args, _env(bad))
        assert r.returncode != 0 and "Traceback" not in r.stderr
        # All of them in one go, on one line, each with its reason.
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "3 files cannot be read as sources" in r.stderr
        assert "broken.md: front matter is not valid YAML" in r.stderr
        assert "hollow.md: the body is empty" in r.stderr
        assert "latin1.txt: not UTF-8" in r.stderr


def test_ingest_shows_progress(settings: Settings, tmp_path: Path) -> None:
    fresh = settings.model_copy(update={"data_dir": tmp_path / "data"})
    r = _run(["ingest"], _env(fresh))
    assert r.returncode == 0, r.stderr
    assert "embedding passages" in r.stderr and "indexed" in r.stdout


@dataclass(frozen=True)
class Service:
    url: str
    port: int
    log: Path  # the service's JSON log lines, one per request among them

    def asks(self) -> int:
        """How many POST /v1/ask the service has logged."""
        lines = self.log.read_text(encoding="utf-8").splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        return sum(1 for e in entries if (e.get("method"), e.get("path")) == ("POST", "/v1/ask"))


@pytest.fixture(scope="module")
def service(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`verbatim serve` as a user starts it, on a free port."""
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            VERBATIM + ["serve", "--port", str(port)],
            env=_env(settings),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"{url}/healthz", timeout=2).status_code
                if status == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert status == 200, log.read_text(encoding="utf-8")[-2000:]
        yield Service(url, port, log)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_answers_over_real_http(service: Service) -> None:
    r = httpx.post(
        f"{service.url}/v1/ask",
        json={"question": "How many Wagner personnel are in Ukraine?"},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["status"] == "answered"
    bad = httpx.post(
        f"{service.url}/v1/ask",
        content=b"{oops",
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert bad.status_code == 422


def test_ask_answers_from_the_running_service(settings: Settings, service: Service) -> None:
    question = "How many Wagner personnel are in Ukraine?"
    before = service.asks()
    r = _run(["ask", "--json", question], _env(settings, VERBATIM_PORT=str(service.port)))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no cold start to announce
    assert service.asks() == before + 1  # the service answered; nothing was loaded here
    served = httpx.post(f"{service.url}/v1/ask", json={"question": question}, timeout=30)
    assert served.status_code == 200
    assert json.loads(r.stdout) == served.json()  # exactly the /v1/ask body
    assert r.stdout == json.dumps(served.json(), ensure_ascii=False) + "\n"

    plain = _run(["ask", question], _env(settings, VERBATIM_PORT=str(service.port)))
    assert plain.returncode == 0 and plain.stderr == ""
    assert served.json()["answer"] in plain.stdout


def test_ask_never_takes_an_answer_from_another_corpus(
    settings: Settings, service: Service, tmp_path: Path
) -> None:
    (tmp_path / "corpus").mkdir()
    write_source(tmp_path / "corpus", "ledger.md", "The depot held 7,300 crates of flour.")
    other = settings.model_copy(
        update={"corpus_dir": tmp_path / "corpus", "data_dir": tmp_path / "data"}
    )
    before = service.asks()
    r = _run(
        ["ask", "--json", "How many crates of flour did the depot hold?"],
        _env(other, VERBATIM_PORT=str(service.port)),
    )
    assert r.returncode == 0, r.stderr
    assert "serves another corpus" in r.stderr and "cold start takes about" in r.stderr
    assert service.asks() == before
    serving = httpx.get(f"{service.url}/healthz", timeout=30).json()["corpus_version"]
    assert json.loads(r.stdout)["corpus_version"] != serving


def test_add_and_remove_a_source(tmp_path: Path, settings: Settings) -> None:
    import shutil

    from tests.conftest import CORPUS

    shutil.copytree(CORPUS, tmp_path / "corpus")
    local = settings.model_copy(
        update={"corpus_dir": tmp_path / "corpus", "data_dir": tmp_path / "data"}
    )
    new = write_source(tmp_path, "note.md", "A short vetted note about flour.", "id: note")
    added = _run(["add", str(new)], _env(local))
    assert added.returncode == 0, added.stderr
    assert "added note" in added.stdout and (tmp_path / "corpus" / "note.md").exists()
    again = _run(["add", str(new)], _env(local))
    assert again.returncode != 0 and "already in the corpus" in again.stderr
    assert again.stderr.strip().endswith("add --replace to replace it"), again.stderr
    removed = _run(["remove", "note"], _env(local))
    assert removed.returncode == 0 and not (tmp_path / "corpus" / "note.md").exists()
    missing = _run(["remove", "note"], _env(local))
    assert missing.returncode != 0 and "unknown source id" in missing.stderr
    assert "Traceback" not in missing.stderr
