"""`make run`: SQLite, debug pages, development secrets generated on first start into var/ (never committed)."""

import json
import secrets
from base64 import b64encode

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]


def _dev_secrets() -> dict:
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "PERSONAL_DATA_KEY": b64encode(secrets.token_bytes(32)).decode(),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


_secrets = _dev_secrets()
SECRET_KEY = env("SECRET_KEY") or _secrets["SECRET_KEY"]
PERSONAL_DATA_KEY = env("PERSONAL_DATA_KEY") or _secrets["PERSONAL_DATA_KEY"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the app folders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
