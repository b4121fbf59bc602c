"""The research chat page at `/`; its script and styles are served from `/static` (no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/")
def chat_page() -> FileResponse:
    # no-cache: a reload after an upgrade picks up the new page (it is revalidated, not refetched).
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})
