"""Conversations in SQLite: the store itself, its HTTP routes, and both exports re-verified."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.config import Settings
from app.conversations import ConversationNotFound, ConversationStore, title_from
from app.engine import Engine
from app.schemas import AskResponse

ANSWERED = "How many Wagner personnel does the U.S. estimate are deployed in Ukraine?"
DECLINED = "How many Wagner fighters died in Mali?"


# --- The store -------------------------------------------------------------------------------


def _response(engine: Engine, question: str) -> AskResponse:
    return engine.ask(question)


def test_store_keeps_turns_in_order_across_reopening(tmp_path: Path, engine: Engine) -> None:
    path = tmp_path / "conversations.sqlite3"
    store = ConversationStore(path)
    c = store.create()
    assert c.title == "" and c.turn_count == 0
    first = _response(engine, ANSWERED)
    store.append(c.id, ANSWERED, first, {"s": "abc"})
    store.append(c.id, DECLINED, _response(engine, DECLINED), {})
    again = ConversationStore(path).get(c.id)  # a new process sees the same file
    assert again.title == ANSWERED
    assert [t.position for t in again.turns] == [1, 2]
    assert again.turns[0].response == first and again.turns[0].source_sha256 == {"s": "abc"}
    assert again.turns[1].response.status == "declined"


def test_store_lists_recent_first_and_deletes(tmp_path: Path, engine: Engine) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3")
    older, newer = store.create("older"), store.create("newer")
    store.append(older.id, ANSWERED, _response(engine, ANSWERED), {})
    assert [c.id for c in store.recent()] == [older.id, newer.id]
    assert store.recent()[0].title == "older"  # a given title is kept
    store.delete(older.id)
    assert [c.id for c in store.recent()] == [newer.id]
    with pytest.raises(ConversationNotFound):
        store.get(older.id)
    with pytest.raises(ConversationNotFound):
        store.delete(older.id)
    with pytest.raises(ConversationNotFound):
        store.append(older.id, "q", _response(engine, ANSWERED), {})


def test_long_questions_make_short_titles() -> None:
    title = title_from("word " * 100)
    assert len(title) <= 80 and title.endswith("…")
    assert title_from("  two\n lines ") == "two lines"


# --- The routes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(
    settings: Settings, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    # A data directory of its own, so the listings here see only this module's conversations.
    own = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("conversations")})
    with TestClient(create_app(own, engine)) as c:
        yield c
    assert (own.data_dir / "conversations.sqlite3").is_file()


def _ask(api: TestClient, conversation_id: str, question: str) -> None:
    r = api.post("/v1/ask/stream", json={"question": question, "conversation_id": conversation_id})
    assert r.status_code == 200 and "event: answer" in r.text


@pytest.fixture(scope="module")
def conversation(api: TestClient) -> str:
    created = api.post("/v1/conversations", json={})
    assert created.status_code == 201
    cid: str = created.json()["id"]
    _ask(api, cid, ANSWERED)
    _ask(api, cid, DECLINED)
    return cid


def test_list_get_and_delete(api: TestClient, conversation: str) -> None:
    listed = api.get("/v1/conversations").json()["conversations"]
    assert {"id": conversation, "title": ANSWERED, "turns": 2}.items() <= listed[0].items()
    got = api.get(f"/v1/conversations/{conversation}").json()
    assert [t["n"] for t in got["turns"]] == [1, 2]
    assert got["turns"][1]["response"]["decline_reason"] == "figure_not_in_corpus"

    spare = api.post("/v1/conversations", json={"title": "Spare"}).json()
    assert spare["title"] == "Spare" and spare["turns"] == 0
    assert api.delete(f"/v1/conversations/{spare['id']}").status_code == 204
    assert api.get(f"/v1/conversations/{spare['id']}").status_code == 404
    assert spare["id"] not in {
        c["id"] for c in api.get("/v1/conversations").json()["conversations"]
    }


def test_a_post_without_a_body_makes_one(api: TestClient) -> None:
    r = api.post("/v1/conversations")
    assert r.status_code == 201 and r.json()["title"] == ""


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/conversations/nope"),
        ("DELETE", "/v1/conversations/nope"),
        ("GET", "/v1/conversations/nope/export.md"),
        ("GET", "/v1/conversations/nope/export.json"),
    ],
)
def test_unknown_ids_are_404(api: TestClient, method: str, path: str) -> None:
    r = api.request(method, path)
    assert r.status_code == 404 and "unknown conversation" in r.json()["detail"]


@pytest.mark.parametrize(
    "body", [{"titel": "typo"}, {"title": "x" * 201}, {"title": 5}, [1, 2], "text"]
)
def test_bad_create_bodies_get_422(api: TestClient, body: object) -> None:
    r = api.post("/v1/conversations", json=body)
    assert r.status_code == 422 and isinstance(r.json()["detail"], str)


# --- Exports ---------------------------------------------------------------------------------


def test_markdown_export_has_footnote_citations(api: TestClient, conversation: str) -> None:
    r = api.get(f"/v1/conversations/{conversation}/export.md")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert "attachment" in r.headers["content-disposition"]
    md = r.text
    assert md.startswith(f"# {ANSWERED}\n") and f"## {DECLINED}" in md
    assert "*Declined: no source states this figure.*" in md
    turns = api.get(f"/v1/conversations/{conversation}").json()["turns"]
    for t in turns:
        for c in t["response"]["citations"]:
            label = f"{t['n']}-{c['n']}"
            assert f"“{c['quote']}” [^{label}]" in md
            note = re.search(rf"^\[\^{label}\]: (.*)$", md, re.M)
            assert note is not None
            assert f"`{c['source_id']}`, characters {c['start']}–{c['end']}" in note.group(1)
            assert ("related, does not answer" in note.group(1)) == c["related_only"]
            assert "outlet not stated" in note.group(1) or (c["outlet"] or "") in note.group(1)
    assert not re.search(r"” \[\d+\]", md)  # every marker became a footnote


def test_json_audit_bundle_reverifies(api: TestClient, conversation: str) -> None:
    bundle = api.get(f"/v1/conversations/{conversation}/export.json").json()
    assert bundle["format"] == "verbatim-audit/1"
    assert bundle["conversation"]["id"] == conversation
    version = api.get("/healthz").json()["corpus_version"]
    answers = bundle["answers"]
    assert [a["question"] for a in answers] == [ANSWERED, DECLINED]
    checked = 0
    for a in answers:
        assert a["corpus_version"] == version
        for c in a["citations"]:
            text = api.get(f"/v1/sources/{c['source_id']}").json()["text"]
            assert hashlib.sha256(text.encode("utf-8")).hexdigest() == c["source_sha256"]
            assert text[c["start"] : c["end"]] == c["quote"]
            assert f"“{c['quote']}” [{c['n']}]" in a["answer"]
            checked += 1
    assert checked >= 2
