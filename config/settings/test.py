"""The test suite: SQLite in a temp dir by default, PostgreSQL when DATABASE_URL is set. Throw-away keys."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_env

_tmp = Path(tempfile.mkdtemp(prefix="jinguo-test-"))
SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
PERSONAL_DATA_KEY = "dGVzdC1vbmx5LXBlcnNvbmFsLWRhdGEta2V5LTMyYnk="  # 32 bytes, base64; test only
DATABASES = {"default": database_from_env(_tmp / "test.sqlite3")}
MEDIA_ROOT = _tmp / "media"
PRIVATE_FILES_ROOT = _tmp / "private"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: argon2 is tested on its own
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(_tmp / "cache")}
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SMS_BACKEND = "jinguo.core.sms.MemorySmsBackend"
AXES_ENABLED = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "10000/min"}}  # noqa: F405

# Serve static files straight from the app folders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
