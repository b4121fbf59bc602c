"""Corpus changes over the API: closed by default, token-guarded, switched atomically."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.config import Settings
from app.engine import Engine
from app.publish import ChangeLock
from tests.conftest import CORPUS

NEW = "---\nid: ledger\ntitle: A ledger note\n---\nThe ledger note says the depot held 7,300 crates of flour in March 2021.\n"


def test_admin_is_off_by_default(client: TestClient) -> None:
    r = client.post("/v1/admin/sources", json={"filename": "x.md", "content": "body"})
    assert r.status_code == 404 and "VERBATIM_ADMIN_TOKEN" in r.json()["detail"]


def test_add_and_remove_switch_atomically(tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    settings = Settings(
        corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data", admin_token="adm1n"
    )
    serving = Engine(settings)
    auth = {"authorization": "Bearer adm1n"}
    with TestClient(create_app(settings, serving)) as c:
        before = c.get("/v1/admin/status", headers=auth).json()["corpus_version"]
        assert (
            c.post("/v1/admin/sources", json={"filename": "n.md", "content": NEW}).status_code
            == 401
        )
        bad = c.post(
            "/v1/admin/sources",
            json={"filename": "n.md", "content": "---\nid: [\n---\nx"},
            headers=auth,
        )
        assert bad.status_code == 422 and "n.md" in bad.json()["detail"]
        answers: list[str] = []
        stop = threading.Event()

        def ask_meanwhile() -> None:  # questions during the re-index are answered, never errors
            while not stop.is_set():
                r = c.post("/v1/ask", json={"question": "How much does Wagner spend each month?"})
                answers.append(f"{r.status_code}:{r.json()['corpus_version']}")

        worker = threading.Thread(target=ask_meanwhile)
        worker.start()
        r = c.post("/v1/admin/sources", json={"filename": "n.md", "content": NEW}, headers=auth)
        assert r.status_code == 202 and r.json()["serving_corpus_version"] == before
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = c.get("/v1/admin/status", headers=auth).json()
            if not status["reindexing"] and status["corpus_version"] != before:
                break
            time.sleep(0.2)
        stop.set()
        worker.join()
        assert status["corpus_version"] != before and status["last_error"] is None
        assert answers and all(a.startswith("200:") for a in answers)
        assert {a.split(":")[1] for a in answers} <= {before, status["corpus_version"]}
        ask = c.post(
            "/v1/ask", json={"question": "How many crates of flour did the depot hold?"}
        ).json()
        assert ask["status"] == "answered" and ask["citations"][0]["source_id"] == "ledger"
        assert ask["corpus_version"] == status["corpus_version"]
        gone = c.delete("/v1/admin/sources/ledger", headers=auth)
        assert gone.status_code == 202
        assert c.delete("/v1/admin/sources/nope", headers=auth).status_code == 404
        deadline = time.monotonic() + 120
        while (
            time.monotonic() < deadline
            and c.get("/v1/admin/status", headers=auth).json()["reindexing"]
        ):
            time.sleep(0.2)
        assert c.get("/v1/sources/ledger").status_code == 404
        # One change at a time: while another holds the change lock (as `verbatim add` in another
        # process would), a change is refused naming it, and the corpus folder is untouched.
        files = sorted(p.name for p in settings.corpus_dir.iterdir())
        with ChangeLock(settings, serving.index.client, "verbatim add big.md"):
            busy = c.post(
                "/v1/admin/sources", json={"filename": "n.md", "content": NEW}, headers=auth
            )
        assert busy.status_code == 409, busy.text
        assert "another corpus change is running: verbatim add big.md" in busy.json()["detail"]
        assert sorted(p.name for p in settings.corpus_dir.iterdir()) == files


def test_every_bad_file_is_named_and_the_index_keeps_serving(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    local = settings.model_copy(
        update={
            "corpus_dir": tmp_path / "corpus",
            "data_dir": tmp_path / "data",
            "admin_token": "adm1n",
        }
    )
    (local.corpus_dir / "broken.md").write_text("---\ntitle: [\n---\nbody", encoding="utf-8")
    (local.corpus_dir / "hollow.md").write_text("   \n", encoding="utf-8")
    auth = {"authorization": "Bearer adm1n"}
    with TestClient(create_app(local, engine)) as c:
        before = c.get("/v1/admin/status", headers=auth).json()["corpus_version"]
        r = c.post("/v1/admin/sources", json={"filename": "n.md", "content": NEW}, headers=auth)
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert "broken.md: front matter is not valid YAML" in detail
        assert "hollow.md: the body is empty" in detail
        assert not (local.corpus_dir / "n.md").exists()
        asked = c.post("/v1/ask", json={"question": "How much does Wagner spend each month?"})
        assert asked.status_code == 200 and asked.json()["corpus_version"] == before


def test_a_taken_id_is_refused_naming_the_replace_field(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    local = settings.model_copy(
        update={
            "corpus_dir": tmp_path / "corpus",
            "data_dir": tmp_path / "data",
            "admin_token": "adm1n",
        }
    )
    taken = "---\nid: 000_40f2dc99ac1e1a11\n---\nA second body for a vetted id.\n"
    with TestClient(create_app(local, engine)) as c:
        r = c.post(
            "/v1/admin/sources",
            json={"filename": "again.md", "content": taken},
            headers={"authorization": "Bearer adm1n"},
        )
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "already in the corpus" in detail and "--replace" not in detail
    assert detail.endswith('send "replace": true to replace it')
