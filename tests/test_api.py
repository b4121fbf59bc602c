"""The HTTP API through an HTTP client, bad input included."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.api.main import create_app
from app.config import Settings


def test_healthz_ready(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_healthz_starting_before_the_index(settings: Settings) -> None:
    # Without the lifespan (no `with`), the engine is never built: the state before it is ready.
    fresh = TestClient(create_app(settings))
    r = fresh.get("/healthz")
    assert r.status_code == 503 and r.json() == {"status": "starting"}
    assert fresh.post("/v1/ask", json={"question": "x"}).status_code == 503


def test_ask_returns_the_contract_shape(client: TestClient) -> None:
    r = client.post(
        "/v1/ask", json={"question": "How much money does the Wagner Group spend each month?"}
    )
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"status", "answer", "citations", "decline_reason", "corpus_version"}
    assert body["status"] == "answered"
    c = body["citations"][0]
    assert set(c) >= {
        "n",
        "source_id",
        "title",
        "outlet",
        "published",
        "url",
        "quote",
        "start",
        "end",
        "related_only",
    }
    text = client.get(f"/v1/sources/{c['source_id']}").json()["text"]
    assert text[c["start"] : c["end"]] == c["quote"]
    assert f"“{c['quote']}” [{c['n']}]" in body["answer"]


def test_ask_with_history_and_filters(client: TestClient) -> None:
    r = client.post(
        "/v1/ask",
        json={
            "question": "What did he say about North Korea?",
            "history": [
                {"role": "user", "content": "What did John Kirby say about Wagner?"},
                {"role": "assistant", "content": "..."},
            ],
            "filters": {"source_ids": ["002_bdaf77c2435e2623"]},
        },
    )
    assert r.status_code == 200
    assert all(c["source_id"] == "002_bdaf77c2435e2623" for c in r.json()["citations"])


def test_sources_list_and_detail(client: TestClient) -> None:
    listed = client.get("/v1/sources").json()["sources"]
    assert len(listed) == 3 and all("text" not in s for s in listed)
    one = client.get(f"/v1/sources/{listed[0]['id']}").json()
    assert one["text"] and one["id"] == listed[0]["id"]
    assert client.get("/v1/sources/nope").status_code == 404


def _bad(client: TestClient, status: int, **kwargs: object) -> str:
    r = client.post("/v1/ask", **kwargs)  # type: ignore[arg-type]
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail
    return detail


def test_bad_input_gets_a_clear_4xx(client: TestClient) -> None:
    assert "question" in _bad(client, 422, json={})
    assert "empty" in _bad(client, 422, json={"question": "   "})
    assert "2000" in _bad(client, 422, json={"question": "x" * 2001})
    _bad(client, 422, json={"question": 42})
    _bad(client, 422, json={"question": "ok", "extra": 1})
    _bad(client, 422, json={"question": "ok", "filters": {"tags": ["a"]}})
    assert "unknown source_ids" in _bad(
        client, 422, json={"question": "ok", "filters": {"source_ids": ["nope"]}}
    )
    _bad(client, 422, json={"question": "ok", "history": [{"role": "system", "content": "x"}]})
    _bad(client, 422, json={"question": "ok", "history": [{"role": "user", "content": "x"}] * 21})
    _bad(client, 422, json={"question": "ok", "history": [{"role": "user", "content": "x" * 4001}]})
    assert "control character" in _bad(client, 422, json={"question": "bell\u0007"})
    _bad(client, 422, content=b"{not json", headers={"content-type": "application/json"})
    _bad(
        client,
        400,
        content=b'{"question": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    _bad(
        client,
        413,
        content=b'{"question": "' + b"a" * (1024 * 1024 + 10) + b'"}',
        headers={"content-type": "application/json"},
    )


def test_malformed_json_says_what_is_wrong_and_where(settings: Settings, tmp_path: Path) -> None:
    # The body is read before the engine is needed, so no index is built for this.
    fresh = TestClient(create_app(settings.model_copy(update={"data_dir": tmp_path})))

    def detail(body: str) -> str:
        r = fresh.post(
            "/v1/ask", content=body.encode(), headers={"content-type": "application/json"}
        )
        assert r.status_code == 422, r.text
        text: str = r.json()["detail"]
        return text

    prefix = "the request body is not valid JSON: "
    assert detail('{"question": "x" "history": []}') == (
        prefix + "expected ',' at line 1, column 18 (found '\"')"
    )
    # Lines and columns count characters, as an editor shows them.
    assert detail('{\n  "question": "café",\n}') == (
        prefix + "expected a name in double quotes at line 3, column 1 (found '}')"
    )
    assert detail('{"question": "ok"') == (
        prefix + "expected ',' at line 1, column 18 (the body ends there)"
    )
    assert detail('{"question": "ok"} x') == (
        prefix + "more text after the JSON value ends at line 1, column 20 (found 'x')"
    )
    # Well-formed JSON that breaks the schema keeps its field-by-field message.
    r = fresh.post("/v1/conversations", json={"title": ["a list"]})
    assert r.status_code == 422
    assert r.json() == {"detail": "title: Input should be a valid string"}


def test_question_is_trimmed_and_newlines_are_fine(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "  How much does Wagner spend\neach month?  "})
    assert r.status_code == 200


def test_openapi_and_local_docs(client: TestClient) -> None:
    assert "/v1/ask" in client.get("/openapi.json").json()["paths"]
    docs = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
