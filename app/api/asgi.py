"""The app as an import string, for `uvicorn app.api.asgi:app --workers N` (one engine per worker)."""

from app.api.main import create_app
from app.config import quiet_third_parties

quiet_third_parties()
app = create_app()
