"""Changing the corpus while `verbatim serve` runs, for real: a serving process (one worker, two
workers, or one worker against a `chroma run` server) answers a steady stream of questions while
`verbatim add`, `remove` and `ingest` run as other processes, two of them at once and one killed
with kill -9 in the middle of its change.

Every request must succeed (no 5xx, no failed connection), every answer must carry a corpus
version that was published, and after each change every serving process must serve the new
version within a few seconds.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS, write_source
from tests.live_server import chroma_server, free_port, kill_9_mid_embedding

VERBATIM = str(Path(sys.executable).with_name("verbatim"))
QUESTION = "How much money does the Wagner Group spend each month?"
SWITCH_S = 15.0  # "within a few seconds", with room for a loaded 2-core machine
NEW = (
    "The harbour office counted 6,150 containers on the north quay in May 2022, "
    "according to its annual ledger."
)


@dataclass
class Stream:
    """Questions asked back to back from another thread, every outcome kept."""

    base: str
    outcomes: list[tuple[float, int, str]] = field(default_factory=list)  # (time, status, version)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as http:
            while not self.stop.is_set():
                try:
                    r = http.post("/v1/ask", json={"question": QUESTION})
                    body = r.json() if r.status_code == 200 else {}
                    self.outcomes.append(
                        (time.monotonic(), r.status_code, str(body.get("corpus_version")))
                    )
                    if r.status_code != 200:
                        self.failures.append(f"{r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failures.append(f"{type(exc).__name__}: {exc}")


@dataclass
class Service:
    base: str
    env: dict[str, str]
    corpus: Path
    log: Path
    workers: int

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [VERBATIM, *args], env=self.env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"verbatim {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout

    def serving(self) -> str:
        health = httpx.get(f"{self.base}/healthz", timeout=10)
        assert health.status_code == 200, health.text
        return str(health.json()["corpus_version"])

    def switched(self, version: str) -> int:
        """How many serving processes have logged their switch to `version`."""
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return sum(1 for line in lines if '"switched index"' in line and f'"{version}"' in line)


def _version(stdout: str) -> str:
    found = re.search(r"corpus version ([0-9a-f]{16})", stdout)
    assert found, stdout
    return found.group(1)


def _await_switch(service: Service, stream: Stream, version: str, started: float) -> None:
    """Every worker logs its switch, and then every answer carries the new version."""
    deadline = started + SWITCH_S
    while service.switched(version) < service.workers:
        assert time.monotonic() < deadline, (
            f"{service.switched(version)} of {service.workers} processes serve {version} "
            f"{SWITCH_S:g} s after the change"
        )
        time.sleep(0.1)
    after = len(stream.outcomes)
    while len(stream.outcomes) < after + 3:
        time.sleep(0.1)
    assert {v for _, _, v in stream.outcomes[after + 1 :]} == {version}


@pytest.fixture(params=["embedded", "two-workers", "chroma-server"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in CORPUS.iterdir():
        (corpus / f.name).write_bytes(f.read_bytes())
    port = free_port()
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        VERBATIM_CORPUS_DIR=str(corpus),
        VERBATIM_DATA_DIR=str(tmp_path / "data"),
        VERBATIM_PORT=str(port),
        VERBATIM_WATCH_SECONDS="0.5",
    )
    workers = 2 if request.param == "two-workers" else 1
    with (
        chroma_server(tmp_path / "chroma") if request.param == "chroma-server" else _nothing() as cp
    ):
        if cp:
            env.update(VERBATIM_CHROMA_HOST="127.0.0.1", VERBATIM_CHROMA_PORT=str(cp))
        log = tmp_path / "serve.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [VERBATIM, "serve", "--workers", str(workers)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 300
            while True:
                assert proc.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "verbatim serve did not become healthy"
                # Every worker has built its engine (each logs it), and the service answers.
                ready = log.read_text(encoding="utf-8", errors="replace").count('"index ready"')
                try:
                    if ready >= workers and httpx.get(f"{base}/healthz", timeout=2).is_success:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            yield Service(base, env, corpus, log, workers)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_changes_from_other_processes_never_break_serving(service: Service, tmp_path: Path) -> None:
    published = {service.serving()}
    stream = Stream(service.base)
    asker = threading.Thread(target=stream.run, daemon=True)
    asker.start()
    try:
        # Add a source from another process: the service moves to the new version.
        new = write_source(tmp_path, "harbour.md", NEW, "id: harbour\ntitle: Harbour ledger")
        started = time.monotonic()
        version = _version(service.cli("add", str(new)))
        published.add(version)
        _await_switch(service, stream, version, started)
        said = httpx.post(
            f"{service.base}/v1/ask",
            json={
                "question": "How many containers did the harbour office count on the north quay?"
            },
            timeout=60,
        ).json()
        assert said["status"] == "answered" and said["citations"][0]["source_id"] == "harbour"

        # Two changes at once, from two terminals: serialised, neither source is lost.
        one = write_source(tmp_path, "one.md", "The first depot held 410 crates.", "id: one")
        two = write_source(tmp_path, "two.md", "The second depot held 920 crates.", "id: two")
        started = time.monotonic()
        both = [
            subprocess.Popen(
                [VERBATIM, "add", str(path)],
                env=service.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for path in (one, two)
        ]
        outs = [p.communicate(timeout=600) for p in both]
        assert [p.returncode for p in both] == [0, 0], outs
        versions = [_version(out) for out, _ in outs]
        published.update(versions)
        # The later of the two saw the earlier one's source: its version is the final corpus.
        final = service.cli("ingest")  # same corpus, rebuilt: the same version, a new index
        version = _version(final)
        assert version in versions
        _await_switch(service, stream, version, started)
        ids = {s["id"] for s in httpx.get(f"{service.base}/v1/sources").json()["sources"]}
        assert {"harbour", "one", "two"} <= ids

        # Remove one; then kill -9 a change in the middle of its indexing.
        started = time.monotonic()
        version = _version(service.cli("remove", "one"))
        published.add(version)
        _await_switch(service, stream, version, started)
        big = write_source(
            tmp_path,
            "big.md",
            "\n\n".join(f"Depot entry {i} lists crate {i * 7} as moved." for i in range(3000)),
            "id: big",
        )
        kill_9_mid_embedding([VERBATIM, "add", str(big)], service.env)
        assert service.serving() == version  # the killed change never published
        # Its file is in the folder (the change got that far); the next change, once the lock
        # is free (at once embedded; a Chroma-server lease expires), takes it back out.
        started = time.monotonic()
        after = _version(service.cli("remove", "big"))
        assert after == version  # the corpus is as it was: its finished index is reused
        time.sleep(3 * 0.5)  # a few polls: nothing switches away from the serving version
        assert service.serving() == version
        ids = {s["id"] for s in httpx.get(f"{service.base}/v1/sources").json()["sources"]}
        assert "big" not in ids and "one" not in ids and {"harbour", "two"} <= ids
    finally:
        stream.stop.set()
        asker.join(timeout=120)
    assert not stream.failures, stream.failures[:5]
    assert len(stream.outcomes) > 20
    assert {v for _, _, v in stream.outcomes} <= published
    health = json.loads(httpx.get(f"{service.base}/healthz").text)
    assert health == {"status": "ok", "corpus_version": version}
