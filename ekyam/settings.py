"""Ekyam settings: one file, every value read from the environment through typed helpers.

Without any variables set, Ekyam runs on embedded defaults (SQLite in ./var, tasks run inline, an
in-process channel layer); `manage.py standalone` additionally starts an embedded Redis-protocol
server and Kafka-protocol broker and hands their addresses to its child processes. With
DATABASE_URL, REDIS_URL and KAFKA_BOOTSTRAP_SERVERS set it uses those servers. `.env.example`
documents every variable.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ekyam.env import env_bool, env_float, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("EKYAM_VAR_DIR", str(BASE_DIR / "var")))

PRODUCTION = env_bool("EKYAM_PRODUCTION", False)
DEBUG = env_bool("EKYAM_DEBUG", not PRODUCTION)
TESTING = env_bool("EKYAM_TESTING", False)

_DEV_SECRET = "ekyam-development-only-secret-key-not-for-production-use-0123456789"
SECRET_KEY = env_str("EKYAM_SECRET_KEY") if PRODUCTION else env_str("EKYAM_SECRET_KEY", _DEV_SECRET)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("EKYAM_SECRET_KEY must be a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("EKYAM_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("EKYAM_ALLOWED_HOSTS must list the host names Ekyam is served on.")
CSRF_TRUSTED_ORIGINS = env_list("EKYAM_CSRF_TRUSTED_ORIGINS", [])
BASE_URL = env_url("EKYAM_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "channels",
    "ekyam",
    "ekyam.events",
    "ekyam.alerts",
    "connectors",
    "connectors.mapping",
    "workflows",
    "workflows.reconcile",
    "webhooks",
    "bench",  # `manage.py bench` (its dev-only libraries load when a benchmark runs)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ekyam.metrics.RequestMetricsMiddleware",
    "ekyam.api.input.QueryValueMiddleware",  # /api/ only: NUL or over-long query values answer 400
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ekyam.tenancy.OrganizationMiddleware",
    "ekyam.tenancy.NoOrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers locked-out sign-ins
]

# --- Sign-in throttling (django-axes) ---------------------------------------------------------
# Every failed sign-in (portal and admin) is a row; an account, and separately an address, is locked
# for EKYAM_LOGIN_LOCKOUT_MINUTES after EKYAM_LOGIN_FAILURE_LIMIT failures, even with the right
# password. A success resets the account's count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("EKYAM_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("EKYAM_LOGIN_LOCKOUT_MINUTES", 15.0))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # per account, and per address, independently
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a proxy, the client address comes from X-Forwarded-For (the proxies in front set it).
if env_bool("EKYAM_BEHIND_PROXY", False):
    AXES_IPWARE_PROXY_COUNT = env_int("EKYAM_PROXY_COUNT", 1, minimum=1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Content-Security-Policy (django-csp) on every response -------------------------------------
# Scripts and styles come only from our static files (no inline script or handler anywhere);
# WebSockets connect back to this host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", "ws:", "wss:"] if not PRODUCTION else ["'self'", "wss:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "ekyam.urls"
WSGI_APPLICATION = "ekyam.wsgi.application"
ASGI_APPLICATION = "ekyam.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ekyam.tenancy.organization_context",
                "ekyam.navigation.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL", f"sqlite:///{VAR_DIR / 'ekyam.sqlite3'}", schemes=("sqlite", "postgres", "postgresql")
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("EKYAM_DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web, worker and beat processes read while one writes; IMMEDIATE takes the write
    # lock at BEGIN so concurrent writers queue on the timeout instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Each concurrent test run (CI, several developers on one machine) can pick its own test database.
DATABASES["default"]["TEST"] = {"NAME": env_str("EKYAM_TEST_DB_NAME", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, cache, Channels layer --------------------------------------------
REDIS_URL = env_url("REDIS_URL", None, schemes=("redis", "rediss", "unix"))
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", REDIS_URL, schemes=("redis", "rediss", "amqp", "memory", "filesystem"))
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
if CELERY_BROKER_URL is None:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# Delivery guarantees, consistent with the engine's own recovery (workflows/conf.py):
# - acks_late + reject_on_worker_lost: a task is acknowledged only after it returns, and a task whose worker
#   child died is put back on the queue instead of being acknowledged as failed (tasks are safe to run twice);
# - prefetch 1: a worker reserves one task at a time, so a killed worker strands at most one message;
# - visibility_timeout (Redis): an unacknowledged message is redelivered after this long. It is the slow
#   second path: a killed run resumes first through its heartbeat going stale (EKYAM_WORKFLOW_STALE_SECONDS,
#   swept every EKYAM_WORKFLOW_SWEEP_SECONDS), and a redelivery that meets a live run does nothing (the claim
#   sees a fresh heartbeat). It must be longer than the stale threshold (checked below), and long enough that
#   a long run is not redelivered while it works (harmless, but a wasted claim).
# - countdown tasks (a batch handed back to its checkpoint after a transient failure) wait unacknowledged in
#   a worker until due; should that worker die, the sweeper resumes the run STALE_AFTER past its `retry_at`,
#   long before the redelivery, which then finds the run taken and does nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("EKYAM_TASK_VISIBILITY_TIMEOUT", 3600, minimum=60)}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= env_int("EKYAM_WORKFLOW_STALE_SECONDS", 45, minimum=5):
    raise ImproperlyConfigured(
        "EKYAM_TASK_VISIBILITY_TIMEOUT must be longer than EKYAM_WORKFLOW_STALE_SECONDS: a killed run resumes "
        "through its stale heartbeat first, and a redelivered task must not race that."
    )
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Kafka ----------------------------------------------------------------------------------
KAFKA_BOOTSTRAP_SERVERS = env_str("KAFKA_BOOTSTRAP_SERVERS", "") or None
KAFKA_TOPIC_PREFIX = env_str("EKYAM_KAFKA_TOPIC_PREFIX", "ekyam")
KAFKA_TOPIC_PARTITIONS = env_int("EKYAM_KAFKA_TOPIC_PARTITIONS", 6, minimum=1)

# --- Secrets at rest ------------------------------------------------------------------------
# Fernet keys, newest first: the first encrypts, all decrypt, so keys rotate without downtime.
_dev_credential_key = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
CREDENTIAL_KEYS = (
    env_list("EKYAM_CREDENTIAL_KEYS") if PRODUCTION else env_list("EKYAM_CREDENTIAL_KEYS", [_dev_credential_key])
)
if not CREDENTIAL_KEYS:
    raise ImproperlyConfigured("EKYAM_CREDENTIAL_KEYS must list at least one Fernet key.")

# --- Outbound HTTP --------------------------------------------------------------------------
# Networks the hardened client may reach although they are private/loopback/link-local. The
# sandboxes and tests live on loopback, so development allows it; production allows nothing.
HTTP_ALLOWED_NETWORKS = env_list("EKYAM_HTTP_ALLOWED_NETWORKS", [] if PRODUCTION else ["127.0.0.0/8", "::1/128"])
HTTP_CONNECT_TIMEOUT = env_float("EKYAM_HTTP_CONNECT_TIMEOUT", 5.0)
HTTP_READ_TIMEOUT = env_float("EKYAM_HTTP_READ_TIMEOUT", 30.0)
HTTP_MAX_RETRIES = env_int("EKYAM_HTTP_MAX_RETRIES", 4, minimum=0)  # 5 attempts per call: the one retry policy
HTTP_BACKOFF_BASE = env_float("EKYAM_HTTP_BACKOFF_BASE", 0.5)
HTTP_BACKOFF_MAX = env_float("EKYAM_HTTP_BACKOFF_MAX", 30.0)

# --- Auth, sessions -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EKYAM_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EKYAM_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EKYAM_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EKYAM_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("EKYAM_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EKYAM_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("EKYAM_EMAIL_FROM", "Ekyam <alerts@ekyam.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- People: sign-up, invitations, password reset -------------------------------------------
SIGNUP_OPEN = env_bool("EKYAM_SIGNUP_OPEN", True)
INVITATION_DAYS = env_int("EKYAM_INVITATION_DAYS", 7, minimum=1)
PASSWORD_RESET_TIMEOUT = env_int("EKYAM_PASSWORD_RESET_HOURS", 24, minimum=1) * 3600
# Form submissions per client address per hour, counted in the cache (Redis when configured).
SIGNUP_ATTEMPTS_PER_HOUR = env_int("EKYAM_SIGNUP_ATTEMPTS_PER_HOUR", 20, minimum=1)
PASSWORD_RESET_REQUESTS_PER_HOUR = env_int("EKYAM_PASSWORD_RESET_REQUESTS_PER_HOUR", 5, minimum=1)
INVITATIONS_PER_HOUR = env_int("EKYAM_INVITATIONS_PER_HOUR", 50, minimum=1)

# --- i18n, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    # WhiteNoise expects STATIC_ROOT to exist; in development files come from the finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- API ------------------------------------------------------------------------------------
API_RATE_PER_KEY = env_str("EKYAM_API_RATE_PER_KEY", "1200/min")
API_RATE_PER_USER = env_str("EKYAM_API_RATE_PER_USER", "2400/min")
# API input limits (ekyam/api/input.py; README "API input limits"): larger bodies answer 413, deeper
# JSON and longer query values 400.
API_MAX_BODY_BYTES = env_int("EKYAM_API_MAX_BODY_BYTES", 2_621_440, minimum=1024)  # 2.5 MiB
API_MAX_JSON_DEPTH = env_int("EKYAM_API_MAX_JSON_DEPTH", 32, minimum=2)
API_MAX_QUERY_VALUE_LENGTH = env_int("EKYAM_API_MAX_QUERY_VALUE_LENGTH", 1000, minimum=16)
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": ["ekyam.api.input.JsonBodyParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ekyam.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ekyam.api.permissions.IsOrganizationMember"],
    "DEFAULT_PAGINATION_CLASS": "ekyam.api.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["ekyam.api.fields.ScopedFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["ekyam.api.throttling.PerKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": API_RATE_PER_KEY, "user": API_RATE_PER_USER},
    "EXCEPTION_HANDLER": "ekyam.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ekyam API",
    "DESCRIPTION": "Connect NetSuite, Whiplash and Shopify; map data onto the Ekyam Data Standards; "
    "run workflows; receive events by webhook.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ekyam.api.schema.document_errors_and_areas",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReconcileJobStatusEnum": "workflows.reconcile.models.JobStatus",
        "ReconciliationItemStatusEnum": "workflows.reconcile.models.ItemStatus",
    },
}

# --- Security (the production profile passes `manage.py check --deploy`) --------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("EKYAM_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("EKYAM_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

LOG_LEVEL = env_str("EKYAM_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every line passes the redaction filter: webhook path tokens, URL passwords, Slack webhook paths
    # and known secret shapes never reach the output (ekyam/redaction.py).
    "filters": {"redact": {"()": "ekyam.redaction.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # lock-outs are warnings; every successful sign-in is not news
        # uvicorn's own handlers are replaced by ours (with the filter), so access lines are redacted too.
        "uvicorn": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "uvicorn.error": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "uvicorn.access": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
