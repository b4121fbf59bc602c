"""The app as an import string, for `uvicorn app.api.asgi:app --workers N` (one engine per worker).

Each worker is a fresh interpreter: it sets up the JSON logs itself, or its lines (the index it
serves, its switches) would be lost."""

from app.api.main import create_app
from app.config import quiet_third_parties
from app.observability import configure_logging

quiet_third_parties()
configure_logging()
app = create_app()
