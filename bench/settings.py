"""Settings for the benchmarks: PostgreSQL (DATABASE_URL, default the local `jinguo_bench` database), production-like
request handling (DEBUG off, no query log), throw-away keys. The data set is synthetic, so the key protects nothing.
"""

import os
import warnings

import dj_database_url

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/jinguo_bench"
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise RuntimeError("The benchmarks run on PostgreSQL: set DATABASE_URL=postgres://…")

DEBUG = False
SECRET_KEY = "bench-only-secret-key-synthetic-data-0123456789abcdefghijkl"  # noqa: S105
PERSONAL_DATA_KEY = "YmVuY2gtb25seS1zeW50aGV0aWMtZGF0YS1rZXktMzI="  # 32 bytes, base64; synthetic data only
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # bench users log in with force_login
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SMS_BACKEND = "jinguo.core.sms.MemorySmsBackend"
AXES_ENABLED = False
BENCH_DIR = VAR_DIR / "bench"  # the generated xlsx and results; var/ is not committed
# whitenoise warns that collectstatic has not run; the benchmarks never serve static files.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
