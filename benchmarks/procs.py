"""Real servers as subprocesses on loopback: the API under uvicorn, and `chroma run`.

Each runs in its own session so that stopping it also stops the workers it forked, and logs to
a file under the cache so that a server that fails to start can be diagnosed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.corpora import CACHE

HOST = "127.0.0.1"
LOGS = CACHE / "logs"
PLACES = (
    "VERBATIM_CORPUS_DIR", "VERBATIM_DATA_DIR", "VERBATIM_CHROMA_HOST", "VERBATIM_CHROMA_PORT",
)  # fmt: skip


class ServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Started:
    url: str
    seconds: float  # from spawn to ready


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()  # uvicorn's supervisor passes SIGTERM on to its workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group is this child's own session
        proc.wait(timeout=30)


@contextlib.contextmanager
def _spawn(
    name: str,
    argv: list[str],
    env: dict[str, str],
    ready_url: str,
    timeout: float,
    consecutive: int = 1,
) -> Iterator[Started]:
    """Start `argv`; ready after `consecutive` 200s in a row from `ready_url`, each on a new
    connection."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{name}.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + timeout
            ok = 0
            while ok < consecutive:
                if proc.poll() is not None:
                    raise ServerFailed(f"{name} exited with {proc.returncode}; see {log_path}")
                if time.monotonic() > deadline:
                    raise ServerFailed(f"{name} not ready after {timeout:.0f}s; see {log_path}")
                try:
                    ok = ok + 1 if httpx.get(ready_url, timeout=2).status_code == 200 else 0
                except httpx.HTTPError:
                    ok = 0
                if not ok:
                    time.sleep(0.25)
            yield Started(ready_url.rsplit("/", 1)[0], time.perf_counter() - started)
        finally:
            _stop(proc)


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    # Where the corpus, the index and Chroma live is the bench's choice, never the shell's; other
    # VERBATIM_* settings pass through, as they do to the in-process engine.
    for key in PLACES:
        env.pop(key, None)
    env.update({"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"})
    env.update(extra)
    return env


@contextlib.contextmanager
def api_server(
    name: str,
    corpus_dir: Path,
    data_dir: Path,
    *,
    workers: int = 1,
    chroma_port: int | None = None,
    torch_threads: int | None = None,
    timeout: float = 900.0,
) -> Iterator[Started]:
    """`uvicorn app.api.asgi:app` on a free loopback port, ready once /healthz says ok (the index
    is loaded, or built when missing). `torch_threads` sets OMP_NUM_THREADS, which torch reads
    at start-up for its intra-op threads."""
    port = free_port()
    extra = {"VERBATIM_CORPUS_DIR": str(corpus_dir), "VERBATIM_DATA_DIR": str(data_dir)}
    if torch_threads is not None:
        extra["OMP_NUM_THREADS"] = str(torch_threads)
    if chroma_port is not None:
        extra |= {"VERBATIM_CHROMA_HOST": HOST, "VERBATIM_CHROMA_PORT": str(chroma_port)}
    argv = [
        sys.executable, "-m", "uvicorn", "app.api.asgi:app",
        "--host", HOST, "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    url = f"http://{HOST}:{port}/healthz"
    # Each worker builds its own engine and answers /healthz for itself, and the kernel hands a
    # new connection to any of them: one 200 says one worker is ready. Enough 200s in a row on
    # new connections say they all are (a worker still loading would answer 503 to some).
    consecutive = 1 if workers == 1 else 10 * workers
    with _spawn(name, argv, _env(extra), url, timeout, consecutive) as started:
        yield started


@contextlib.contextmanager
def chroma_server(path: Path, timeout: float = 120.0) -> Iterator[int]:
    """`chroma run` persisting under `path`; yields its port."""
    chroma = Path(sys.executable).with_name("chroma")
    port = free_port()
    path.mkdir(parents=True, exist_ok=True)
    argv = [str(chroma), "run", "--host", HOST, "--port", str(port), "--path", str(path)]
    url = f"http://{HOST}:{port}/api/v2/heartbeat"
    with _spawn(f"chroma-{path.name}", argv, _env({}), url, timeout):
        yield port
