"""Build the FastAPI app: routes, the body-size limit, error bodies, and the engine's lifespan."""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app.api.routes import (
    admin,
    ask,
    conversations,
    health,
    metrics,
    openai_compat,
    page,
    search,
    sources,
    stream,
)
from app.api.state import EngineHolder
from app.config import Settings, get_settings
from app.engine import Engine
from app.observability import request_id
from app.schemas import ErrorBody

log = logging.getLogger(__name__)
access = logging.getLogger("verbatim.access")


def _protected(path: str) -> bool:
    # The admin endpoints have their own token (VERBATIM_ADMIN_TOKEN).
    return (path.startswith("/v1/") and not path.startswith("/v1/admin/")) or path == "/metrics"


def _bearer_ok(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), token.encode())


_ERRORS = {
    "400": "Malformed request (bad JSON, bad encoding, bad Content-Length).",
    "401": "A read token is configured and was not given.",
    "404": "Unknown id in the path (or corpus changes are off).",
    "409": "Another corpus change is running (the admin endpoints that change the corpus).",
    "413": "Request body over the size limit.",
    "503": "The index is still being built.",
}


# Python's json messages in plain words; one not listed here is shown as json words it.
_JSON_WORDS = {
    "Expecting value": "expected a value",
    "Expecting ',' delimiter": "expected ','",
    "Expecting ':' delimiter": "expected ':'",
    "Expecting property name enclosed in double quotes": "expected a name in double quotes",
    "Unterminated string starting at": "a string that is never closed starts",
    "Invalid control character at": "an unescaped control character in a string",
    "Invalid \\escape": "an unknown backslash escape",
    "Extra data": "more text after the JSON value ends",
}


def _json_problem(doc: str, pos: int, msg: str) -> str:
    """What is wrong with a body that is not JSON, and where: line, column and the character."""
    line = doc.count("\n", 0, pos) + 1
    column = pos - (doc.rfind("\n", 0, pos) + 1) + 1
    plain = msg.removesuffix(" at")
    what = _JSON_WORDS.get(msg) or plain[:1].lower() + plain[1:]
    found = f"found {doc[pos]!r}" if pos < len(doc) else "the body ends there"
    return f"the request body is not valid JSON: {what} at line {line}, column {column} ({found})"


def _document_errors(schema: dict[str, Any]) -> None:
    """Every error status the service can send, documented with its `{"detail": ...}` body."""
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, text in _ERRORS.items():
                # 404: an unknown id in the path, or the admin endpoints while they are off.
                if code == "404" and "{" not in path and not path.startswith("/v1/admin/"):
                    continue
                if code in ("400", "413") and method not in ("post", "put", "patch"):
                    continue
                if code == "409" and (method == "get" or not path.startswith("/v1/admin/")):
                    continue
                responses.setdefault(code, {"description": text, "content": body})


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    holder = EngineHolder(settings, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder.start()
        yield
        holder.stop()

    app = FastAPI(
        title="Verbatim",
        version="0.1.0",
        description="Answers only with verbatim, cited quotes from a vetted corpus, or declines.",
        lifespan=lifespan,
        docs_url=None,  # the default page loads Swagger UI from a CDN; ours serves it locally
        redoc_url=None,
    )
    app.state.holder = holder
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Verbatim API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        limit = settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return JSONResponse({"detail": "invalid Content-Length"}, status_code=400)
            if int(declared) > limit:
                return JSONResponse(
                    {"detail": f"request body is over the {limit}-byte limit"}, status_code=413
                )
        elif request.method in ("POST", "PUT", "PATCH"):
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    return JSONResponse(
                        {"detail": f"request body is over the {limit}-byte limit"},
                        status_code=413,
                    )
            request._body = body  # starlette reads the cached body later
        return await call_next(request)

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Request id, optional read token, access log, counters; never a bare crash."""
        rid = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        route = request.url.path
        try:
            if (
                settings.read_token
                and _protected(route)
                and not _bearer_ok(request, settings.read_token)
            ):
                response: Response = JSONResponse(
                    {"detail": "this endpoint needs 'Authorization: Bearer <read token>'"},
                    status_code=401,
                )
            else:
                response = await call_next(request)
        except Exception:
            log.exception("unhandled error")
            holder.metrics.inc("verbatim_errors_total")
            response = JSONResponse(
                {"detail": f"internal error (request id {rid})"}, status_code=500
            )
        finally:
            request_id.reset(token)
        if response.status_code >= 500:
            holder.metrics.inc("verbatim_errors_total")
        holder.metrics.inc(
            "verbatim_requests_total", method=request.method, status=str(response.status_code)
        )
        response.headers["x-request-id"] = rid
        access.info(
            "request",
            extra={
                "request_id": rid,
                "method": request.method,
                "path": route,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["authorization", "content-type", "x-request-id"],
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            if err.get("type") == "json_invalid" and isinstance(exc.body, str):
                # FastAPI's own text is "JSON decode error", placed at a bare character offset.
                problems.append(_json_problem(exc.body, err["loc"][-1], err["ctx"]["error"]))
                continue
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, with the 422 body we really send: `{"detail": "..."}`."""
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["HTTPValidationError"] = ErrorBody.model_json_schema()
            components.pop("ValidationError", None)
            _document_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(admin.router)
    app.include_router(ask.router)
    app.include_router(sources.router)
    app.include_router(stream.router)
    app.include_router(search.router)
    app.include_router(conversations.router)
    app.include_router(openai_compat.router)
    app.include_router(page.router)
    return app
