from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_app
from app.config import Settings
from app.engine import Engine
from app.observability import JsonFormatter


def test_metrics_count_answers_declines_and_requests(client: TestClient) -> None:
    client.post("/v1/ask", json={"question": "How much does Wagner spend each month?"})
    client.post("/v1/ask", json={"question": "What is a good sourdough bread recipe?"})
    client.post("/v1/ask", json={})
    text = client.get("/metrics").text
    assert "# TYPE verbatim_answers_total counter" in text
    assert 'verbatim_declines_total{reason="out_of_scope"}' in text
    assert 'verbatim_requests_total{method="POST",status="422"}' in text
    assert "verbatim_verifier_rejections_total" in text and "verbatim_errors_total" in text


def test_request_id_is_echoed_and_logged_without_the_question(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "How many Wagner fighters died in a very private question?"
    with caplog.at_level(logging.INFO):
        r = client.post("/v1/ask", json={"question": secret}, headers={"x-request-id": "abc123"})
    assert r.headers["x-request-id"] == "abc123"
    records = [rec for rec in caplog.records if rec.name == "verbatim.access"]
    assert records and records[-1].__dict__["request_id"] == "abc123"
    line = JsonFormatter().format(records[-1])
    assert json.loads(line)["path"] == "/v1/ask"
    assert all(
        secret not in rec.getMessage() and secret not in str(rec.__dict__) for rec in caplog.records
    )


def test_cors_closed_by_default(client: TestClient) -> None:
    r = client.options(
        "/v1/ask",
        headers={"origin": "https://elsewhere.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers


def test_read_token_closes_reads_but_not_health(settings: Settings, engine: Engine) -> None:
    closed = settings.model_copy(update={"read_token": "s3cret"})
    with TestClient(create_app(closed, engine)) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/v1/sources").status_code == 401
        assert c.get("/v1/sources", headers={"authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/v1/sources", headers={"authorization": "Bearer s3cret"}).status_code == 200
