"""Settings shared by every environment. Values that differ per deployment come from the environment."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("JINGUO_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "jinguo.core",
    "jinguo.orgs",
    "jinguo.volunteers",
    "jinguo.activities",
    "jinguo.hours",
    "jinguo.certificates",
    "jinguo.demands",
    "jinguo.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jinguo.core.middleware.SlidingSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "jinguo.core.middleware.RequestContextMiddleware",
    "jinguo.core.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jinguo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jinguo.core.context_processors.platform",
            ],
        },
    },
]


def database_from_env(default_sqlite_path: Path) -> dict:
    """PostgreSQL (or anything dj-database-url reads) from DATABASE_URL; SQLite tuned for web + worker otherwise."""
    url = env("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")))
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": default_sqlite_path,
        "OPTIONS": {
            # WAL lets the web process read while the task worker writes; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue on the busy timeout instead of failing with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
    }


DATABASES = {"default": database_from_env(VAR_DIR / "jinguo.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "jinguo.core.auth.PhoneOrUsernameBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 30 idle minutes; activity extends them (jinguo.core.middleware.SlidingSessionMiddleware saves
# a session at most every SESSION_COOKIE_AGE/10 instead of on every request).
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_SECONDS", "1800"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Lock-out: five wrong passwords for one account from one address lock it for 30 minutes.
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("LOGIN_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "jinguo" / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Uploaded spreadsheets and generated exports are private: they live here and are served only through views
# that check data scope, never from MEDIA_URL.
PRIVATE_FILES_ROOT = Path(env("PRIVATE_FILES_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

_redis_url = env("REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {
            # Shared between the web process and the task worker (progress bars), unlike LocMemCache.
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "jinguo.core.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "jinguo.core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "巾帼志愿服务平台 API",
    "DESCRIPTION": "组织树、志愿服务队伍、志愿者、成员关系与导入任务。所有接口均受数据范围限制。",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
}
SPECTACULAR_SETTINGS["SERVE_INCLUDE_SCHEMA"] = False  # the docs list the API, not the schema endpoint
# One schema name per choice set: several models have a "status" field, each with its own meaning.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "NodeKindEnum": "jinguo.orgs.choices.NodeKind",
    "NodeStatusEnum": "jinguo.orgs.choices.NodeStatus",
    "FilingStatusEnum": "jinguo.orgs.choices.FilingStatus",
    "ServiceCategoryEnum": "jinguo.orgs.choices.SERVICE_CATEGORIES",
    "ServiceTimeEnum": "jinguo.orgs.choices.SERVICE_TIMES",
    "VolunteerStatusEnum": "jinguo.volunteers.choices.VolunteerStatus",
    "MembershipStatusEnum": "jinguo.volunteers.choices.MembershipStatus",
    "JobStatusEnum": "jinguo.core.models.Job.Status",
    "ActivityStatusEnum": "jinguo.activities.choices.ActivityStatus",
    "SignUpStatusEnum": "jinguo.activities.choices.SignUpStatus",
    "AttendanceStatusEnum": "jinguo.activities.choices.AttendanceStatus",
    "CheckMethodEnum": "jinguo.activities.choices.CheckMethod",
    "RecordStatusEnum": "jinguo.hours.models.RecordStatus",
    "CorrectionStatusEnum": "jinguo.hours.models.CorrectionStatus",
    "CertificateStatusEnum": "jinguo.certificates.models.CertificateStatus",
    "CorrectionKindEnum": "jinguo.hours.models.CorrectionKind",
    "RecordKindEnum": "jinguo.hours.models.RecordKind",
    "CheckDirectionEnum": "jinguo.activities.choices.CHECK_DIRECTIONS",
    "CareCategoryEnum": "jinguo.demands.care_models.CareCategory",
    "PairingKindEnum": "jinguo.demands.care_models.PairingKind",
}

# Content Security Policy: everything from our own origin; no CDN exists in this project.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@jinguo.invalid")

# Personal-data protection: AES-GCM key for ID numbers at rest; the blind-index key is derived from it.
PERSONAL_DATA_KEY = env("PERSONAL_DATA_KEY")

# Where the SMS codes go. The console backend writes them to the log; a real gateway implements the same interface.
SMS_BACKEND = env("SMS_BACKEND", "jinguo.core.sms.ConsoleSmsBackend")

# The deployment's own names for the volunteer teams' tiers, from the top tier down. Xiamen: 总队/服务队/分队;
# Pingdingshan: 总队/分队/小队. A team's tier is its depth below the federation node it hangs from.
TEAM_TIER_NAMES = env_list("TEAM_TIER_NAMES", "总队,服务队,分队,小队")
# A team at this tier or below is the basic unit (小队) and needs at least SQUAD_MIN_MEMBERS members to be filed.
SQUAD_MIN_MEMBERS = int(env("SQUAD_MIN_MEMBERS", "5"))

PLATFORM_NAME = "巾帼志愿服务平台"

# Imports refuse files larger than these.
IMPORT_MAX_BYTES = int(env("IMPORT_MAX_BYTES", str(40 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(env("IMPORT_MAX_ROWS", "200000"))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(env("IMPORT_MAX_UNCOMPRESSED_BYTES", str(400 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "jinguo": {"handlers": ["console"], "level": env("JINGUO_LOG_LEVEL", "INFO"), "propagate": False},
    },
}
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)

# ---- the service-hour loop (issue 3) ----------------------------------------------------------------------------
# Hours are actual service time (R15): check-in to check-out within the shift, rounded DOWN to this many minutes.
HOURS_ROUNDING_MINUTES = int(env("HOURS_ROUNDING_MINUTES", "30"))
# More counted hours than this in one day for one volunteer are held for review, not counted (R15).
HOURS_DAILY_CAP = int(env("HOURS_DAILY_CAP", "12"))
# A check-in QR code changes every window; a code is accepted in its window and the one before (about a minute).
CHECKIN_QR_WINDOW_SECONDS = int(env("CHECKIN_QR_WINDOW_SECONDS", "30"))
# Check-in opens this long before a shift starts; check-out stays open this long after it ends.
CHECKIN_OPENS_MINUTES = int(env("CHECKIN_OPENS_MINUTES", "60"))
CHECKOUT_GRACE_MINUTES = int(env("CHECKOUT_GRACE_MINUTES", "120"))
# Star levels from counted hours (R19): 1★ 100 h, 2★ 300 h, 3★ 600 h, 4★ 1000 h, 5★ 1500 h by default.
STAR_THRESHOLDS = [int(h) for h in env_list("STAR_THRESHOLDS", "100,300,600,1000,1500")]
# R29: published activities serving one site (or one recipient) on one day; more are refused.
SITE_DAILY_CAP = int(env("SITE_DAILY_CAP", "2"))
# R28: patterns held for review. Records entered by one account: more than BURST_RECORDS within BURST_MINUTES;
# records dated more than LATE_ENTRY_DAYS before they were entered.
BURST_RECORDS = int(env("BURST_RECORDS", "30"))
BURST_MINUTES = int(env("BURST_MINUTES", "10"))
LATE_ENTRY_DAYS = int(env("LATE_ENTRY_DAYS", "30"))
# The TrueType font embedded in certificate PDFs (Debian fonts-wqy-microhei, installed by `make run`/`make test`).
CERTIFICATE_FONT = env("CERTIFICATE_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
# The public address printed on certificates and in their QR codes (e.g. https://zyfw.example.cn); blank: the
# address of the request that issued them (a batch keeps the address of the page that started it).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "")

# ---- supply and demand (issue 4) -------------------------------------------------------------------------------
# Hours within which a dispatched need must be accepted, by urgency (normal, urgent, critical). Past the limit a
# reminder goes to the provider; past it again the need escalates to the level above the node that holds it.
DEMAND_ACCEPT_HOURS = {
    "normal": int(env("DEMAND_ACCEPT_HOURS_NORMAL", "48")),
    "urgent": int(env("DEMAND_ACCEPT_HOURS_URGENT", "12")),
    "critical": int(env("DEMAND_ACCEPT_HOURS_CRITICAL", "2")),
}
# A care pairing's visit is overdue this many days after its planned date; a reminder goes to the volunteers.
CARE_VISIT_GRACE_DAYS = int(env("CARE_VISIT_GRACE_DAYS", "3"))

# Covering indexes (Index(include=...)) are a PostgreSQL speed-up; SQLite builds the same index without the
# included column, which is all the zero-setup default needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
