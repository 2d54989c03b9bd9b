"""All settings, read from the environment in this one place (see README: Settings)."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from foundation.env import ConfigError, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Speed pieces -----------------------------------------------------------------------
# Each replaces a library default for speed and leans on that library's internals (held by a
# contract test each; `python -m bench.speed_pieces` measures what each buys). Turning one off
# falls back to the library's stock behaviour: a switch to rule a piece out when in doubt.
# Django's ASGIHandler (several thread hops per request) instead of devserver/http_handler.
FAST_HTTP_HANDLER = env_bool("DEVSERVER_FAST_HTTP_HANDLER", True)
# ORM statements instead of foundation/fast_sql's cached SQL text for the per-step writes.
FAST_SQL = env_bool("DEVSERVER_FAST_SQL", True)
# Embedded mode: kombu's memory transport polled every 5 ms instead of devserver/memory_broker.
FAST_MEMORY_BROKER = env_bool("DEVSERVER_FAST_MEMORY_BROKER", True)
# Embedded mode: Django's sqlite3 backend (writers wait in SQLite's busy handler) instead of
# devserver/sqlite_backend (the process's writers take turns on a lock).
FAST_SQLITE_BACKEND = env_bool("DEVSERVER_FAST_SQLITE_BACKEND", True)
# One pooled httpx client instead of runs/http_pool's per-thread HTTP/1.1 connections.
FAST_HTTP_POOL = env_bool("DEVSERVER_FAST_HTTP_POOL", True)
# Every CEL expression through celpy's interpreter, `field == literal` ones included, instead
# of deciding those in Python (events/cel_equalities.py).
FAST_CEL_EQUALITIES = env_bool("DEVSERVER_FAST_CEL_EQUALITIES", True)

# --- Mode -------------------------------------------------------------------------------
# Embedded (default): SQLite in the data folder; the engine's tasks on an in-process worker
# (devserver/inprocess_worker.py, CELERY_WORKER_THREADS threads) instead of a Celery worker.
# Staging: DATABASE_URL (Postgres) and REDIS_URL (Celery broker + Channels layer) are set.
DATA_DIR = Path(env_str("DEVSERVER_DATA_DIR", str(BASE_DIR / ".devserver-data"))).resolve()
DATABASE_URL = env_str("DATABASE_URL", "")
REDIS_URL = env_str("REDIS_URL", "")
STAGING = bool(DATABASE_URL and REDIS_URL)

_DEV_SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-staging"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
DEBUG = env_bool("DEVSERVER_DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])

# --- Access (staging console) -----------------------------------------------------------
# Staging: pages and /api/ need a login (or the signing key as a Bearer token), changes need an
# operator, events need a known event key, and every SDK request and response is signed.
# Dev mode is open, as the Inngest dev server is.
REQUIRE_LOGIN = env_bool("DEVSERVER_REQUIRE_LOGIN", STAGING)
SIGNING_KEY = env_str("INNGEST_SIGNING_KEY", "")
SIGNING_KEY_FALLBACK = env_str("INNGEST_SIGNING_KEY_FALLBACK", "")
# A Bearer token that reads /metrics (and nothing else) in staging; blank: the console's auth.
METRICS_TOKEN = env_str("DEVSERVER_METRICS_TOKEN", "")
EVENT_KEYS = env_list("INNGEST_EVENT_KEY", [])  # comma-separated: several keys may be live
if STAGING:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY != _DEV_SECRET_KEY),
            ("INNGEST_SIGNING_KEY", SIGNING_KEY),
            ("INNGEST_EVENT_KEY", EVENT_KEYS),
        )
        if not value
    ]
    if missing:
        raise ConfigError(f"staging mode (DATABASE_URL + REDIS_URL) needs {', '.join(missing)}")
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE = "Lax"
# Login throttling (django-axes): after this many failed logins for one user name from one
# address, that pair is locked out for DEVSERVER_LOGIN_LOCKOUT_MINUTES (429 meanwhile).
AXES_FAILURE_LIMIT = env_int("DEVSERVER_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_float("DEVSERVER_LOGIN_LOCKOUT_MINUTES", 15.0, minimum=0.1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out pair before checking
    "django.contrib.auth.backends.ModelBackend",
]
# A user's CEL filter over stored rows (lists, bulk previews) runs in a worker process of its
# own (foundation/isolation.py); false runs it in the web process (in-process tests).
FILTERS_IN_WORKER = env_bool("DEVSERVER_FILTERS_IN_WORKER", True)
# App URLs the console may call (add, sync, poll): host names, `*.suffix` patterns or networks
# (`10.1.0.0/16`), comma-separated; empty allows any (the dev server's default).
APP_HOSTS = env_list("DEVSERVER_APP_HOSTS", [])
# Registrations an app sends on its own (not in answer to our sync's PUT). With a signing key
# they are refused unless allowed here: the SDK's credential travels with every request.
OUT_OF_BAND_SYNC = env_bool("DEVSERVER_OUT_OF_BAND_SYNC", not SIGNING_KEY)
# Behind HTTPS (a TLS proxy in front of the console): cookies are sent over HTTPS only.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DEVSERVER_SECURE_COOKIES", False)
# Every page: scripts and styles from this origin only (inline style attributes draw the
# waterfall), no frames, no plugins, forms and websockets to this origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- Retention --------------------------------------------------------------------------
# Ended runs and their events older than this are purged (every PURGE_INTERVAL seconds, on
# beat); 0 keeps everything.
RETENTION_DAYS = env_float("DEVSERVER_RETENTION_DAYS", 0.0, minimum=0.0)
# Seconds between purges (the `runs.purge` task on beat); short only in tests.
PURGE_INTERVAL = env_float("DEVSERVER_PURGE_INTERVAL", 3600.0, minimum=1.0)


def _database_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ConfigError(f"DATABASE_URL must start with postgres://, got {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def sqlite_database(data_dir: Path) -> dict:
    """SQLite tuned for one process with many threads: WAL, a busy timeout, IMMEDIATE writes."""
    return {
        "ENGINE": (
            "devserver.sqlite_backend" if FAST_SQLITE_BACKEND else "django.db.backends.sqlite3"
        ),
        "NAME": str(data_dir / "devserver.sqlite3"),
        # Worker and HTTP threads live long: keep their connections (and pragmas) open.
        "CONN_MAX_AGE": 60,
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
            ),
        },
    }


DATABASES = {
    "default": _database_from_url(DATABASE_URL) if DATABASE_URL else sqlite_database(DATA_DIR)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "ninja",  # its Swagger UI files, served from here (pinned with the package), not a CDN
    "events",
    "runs",
    "flowcontrol",
    "console",
    "console.metrics",
    "devserver",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "devserver.middleware.RejectNulMiddleware",
    "devserver.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "devserver.middleware.DevAdminLoginMiddleware",  # dev mode: /admin/ as the local `dev` user
    "console.access.ConsoleAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out login with a 429
]

ROOT_URLCONF = "devserver.urls"
ASGI_APPLICATION = "devserver.asgi.application"
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
                "console.context.console",
            ],
        },
    }
]
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
USE_TZ = True
TIME_ZONE = "UTC"

# --- Channels (live views) -------------------------------------------------------------
# Shared counters (the ingest rate limit): in Redis when there is one, so every web process
# counts together; in the process's memory otherwise (embedded mode has one process).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Event requests per second per event key past which `POST /e/` answers 429 (0: no limit; the
# dev server has none, as Inngest's has none).
INGEST_RATE_LIMIT = env_int("DEVSERVER_INGEST_RATE_LIMIT", 1000 if STAGING else 0, minimum=0)

CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, which cuts the layer's
            # blocking receive (BZPOPMIN, 5 s) and drops every websocket: give it room.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

# --- Celery (wake-ups only; the database is the source of truth) -----------------------
# Embedded: no Celery worker; a command's messages go to an in-process broker
# (devserver/memory_broker) and are forwarded to the server's worker (devserver/wake.py).
# The in-memory URLs name a host only because kombu warns ("No hostname was supplied") about a
# URL without one; the memory transports ignore it.
CELERY_BROKER_URL = REDIS_URL or (
    "devserver-memory://localhost" if FAST_MEMORY_BROKER else "memory://localhost"
)
# Kombu's own memory transport finds messages by polling (1 s by default): poll every 5 ms.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {} if REDIS_URL or FAST_MEMORY_BROKER else {"polling_interval": 0.005}
)
CELERY_TASK_IGNORE_RESULT = True
# Embedded: no prefetch limit. Messages are only wake-ups, and every sleeping run holds one
# (with an ETA) in the worker: a limit would stall deliveries once that many runs sleep.
CELERY_WORKER_PREFETCH_MULTIPLIER = 4 if REDIS_URL else 0
# The embedded worker's ETA timer sleeps this long at most before it looks again; it does not
# notice an earlier entry added meanwhile, so the 1 s default made wake-ups up to 1 s late.
CELERY_WORKER_TIMER_PRECISION = 0.05
CELERY_RESULT_BACKEND = None
# Celery's Django fixup closes every database connection before and after each task unless
# this is set: a staging worker then opened a new Postgres connection for every step (15% of a
# worker's time, bench.scale_out). It closes them every 2 x this many tasks instead; between
# tasks devserver/celery.py drops only broken or CONN_MAX_AGE-old ones, as Django does around
# a request.
CELERY_DB_REUSE_MAX = 10_000
CELERY_WORKER_THREADS = env_int("DEVSERVER_WORKER_THREADS", 8, minimum=1)
# Threads of the web process that run HTTP requests (middleware and views; see http_handler).
HTTP_THREADS = env_int("DEVSERVER_HTTP_THREADS", 16, minimum=1)
CELERY_BEAT_SCHEDULE_FILE = str(DATA_DIR / "celerybeat-schedule")

# --- Events -----------------------------------------------------------------------------
EVENT_MAX_BYTES = env_int("DEVSERVER_EVENT_MAX_BYTES", 512 * 1024, minimum=1024)
# Slow or half-sent requests cannot pile up in the web process: seconds a request's headers may
# take, an idle connection may stay open, and a request may take to be answered.
HTTP_HEADER_TIMEOUT = env_float("DEVSERVER_HTTP_HEADER_TIMEOUT", 10.0, minimum=0.1)
HTTP_IDLE_TIMEOUT = env_float("DEVSERVER_HTTP_IDLE_TIMEOUT", 15.0, minimum=0.1)
HTTP_REQUEST_TIMEOUT = env_float("DEVSERVER_HTTP_REQUEST_TIMEOUT", 300.0, minimum=1.0)
# The web server: uvicorn (httptools, uvloop) serves ~4x daphne's requests per CPU second
# (bench/ingest.py); daphne (Twisted) stays selectable. Both keep the three timeouts above.
HTTP_SERVER = env_str("DEVSERVER_HTTP_SERVER", "uvicorn")
if HTTP_SERVER not in ("uvicorn", "daphne"):
    raise ConfigError(f"DEVSERVER_HTTP_SERVER must be uvicorn or daphne, got {HTTP_SERVER!r}")
# `POST /e/{key}` served by devserver/ingest_route.py ahead of Django, its events stored by
# the group committer (events/group_commit.py); 0 sends it through Django's view.
LEAN_INGEST = env_bool("DEVSERVER_LEAN_INGEST", True)
# `GET /v1/runs/{id}` and `GET /v1/events/{id}/runs` (what scripts poll) served by
# devserver/read_route.py ahead of Django, in raw SQL; 0 sends them through Django's views.
LEAN_READS = env_bool("DEVSERVER_LEAN_READS", True)
REQUEST_MAX_BYTES = env_int("DEVSERVER_REQUEST_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BYTES
EVENT_DEDUPE_SECONDS = 24 * 3600

# --- Executor ---------------------------------------------------------------------------
SDK_REQUEST_TIMEOUT = env_float("DEVSERVER_SDK_TIMEOUT", 120.0, minimum=0.1)
# A Durable Endpoint's run that never reports its end (the SDK answers a NonRetriableError
# itself, the app's process died) fails this long after its request; inngest/inngest
# pkg/api/apiv1/checkpoint.go: API functions "automatically have a timeout after 60 minutes".
ENDPOINT_RUN_TIMEOUT = env_float("DEVSERVER_ENDPOINT_RUN_TIMEOUT", 3600.0, minimum=1.0)
# Connect: the heartbeat interval told to workers (Inngest's 10 s); three missed and the worker
# is gone. The Python SDK beats every 10 s whatever it is told: lower it only for JS workers or
# tests whose Python workers override their own interval.
CONNECT_HEARTBEAT_SECONDS = env_int("DEVSERVER_CONNECT_HEARTBEAT_SECONDS", 10, minimum=1)
# On a stop, seconds Connect workers get to answer the requests they run (told to move first).
# A Python worker may answer over HTTP only 5-6 s after its step ended (its flush delay).
CONNECT_DRAIN_SECONDS = env_int("DEVSERVER_CONNECT_DRAIN_SECONDS", 10, minimum=0)
# An app's answer (a step's output, or the function's) above this fails the attempt, as
# Inngest's 4 MiB output limit does: memoized state stays small enough to replay.
SDK_RESPONSE_MAX_BYTES = env_int("DEVSERVER_STEP_OUTPUT_MAX_BYTES", 4 * 1024 * 1024, minimum=1024)
# A run whose memoized state (step outputs, batch events) would make a request to the app
# larger than this gets `use_api` instead: the SDK fetches the state from /v0/runs/{id}/actions
# and /batch, and the request carries only the trigger event and the stack.
STATE_INLINE_MAX_BYTES = env_int(
    "DEVSERVER_STATE_INLINE_MAX_BYTES", 4 * 1024 * 1024, minimum=1024 * 1024
)
LEASE_SECONDS = env_float("DEVSERVER_LEASE_SECONDS", 15.0, minimum=1.0)
RECONCILE_INTERVAL = env_float("DEVSERVER_RECONCILE_INTERVAL", 1.0, minimum=0.1)
RETRY_BASE_SECONDS = env_float("DEVSERVER_RETRY_BASE_SECONDS", 1.0, minimum=0.0)
RETRY_MAX_SECONDS = env_float("DEVSERVER_RETRY_MAX_SECONDS", 3600.0, minimum=0.0)
# Fault tests only: a file holding seconds (may be negative) that foundation.clock adds to the
# wall clock, so a test can jump every process's clock forward or back (see foundation/clock.py).
CLOCK_OFFSET_FILE = env_str("DEVSERVER_CLOCK_OFFSET_FILE", "")
DEFAULT_RETRIES = 4  # the SDKs' default: 4 retries after the first attempt
# Offer checkpointing to SDKs that support it (JS v4): several steps per request.
CHECKPOINTING = env_bool("DEVSERVER_CHECKPOINTING", True)
# Time travel (runs/timetravel.py): wake a sleeping run, time out a wait, now. Dev mode only
# unless turned on: on a shared console it would let anyone skip a run's deliberate waits.
TIME_TRAVEL = env_bool("DEVSERVER_TIME_TRAVEL", not STAGING)

# --- Realtime (runs/realtime/) ------------------------------------------------------------
# Messages are not durable, as in Inngest: they reach who is subscribed when they are published.
# A published JSON message above this is refused (Inngest's 512 KiB); a streamed one ends there.
REALTIME_MESSAGE_MAX_BYTES = env_int(
    "DEVSERVER_REALTIME_MESSAGE_MAX_BYTES", 512 * 1024, minimum=1024
)
REALTIME_STREAM_MAX_BYTES = env_int(
    "DEVSERVER_REALTIME_STREAM_MAX_BYTES", 1024 * 1024, minimum=1024
)
# Seconds a subscription token may wait before it opens a subscription (Inngest: one minute).
REALTIME_TOKEN_SECONDS = env_int("DEVSERVER_REALTIME_TOKEN_SECONDS", 60, minimum=1)
# Topics one websocket or SSE connection may hold, and messages queued for one subscriber
# before the oldest are dropped (the subscriber is told how many).
REALTIME_MAX_TOPICS = env_int("DEVSERVER_REALTIME_MAX_TOPICS", 64, minimum=1)
REALTIME_SUBSCRIBER_QUEUE = env_int("DEVSERVER_REALTIME_SUBSCRIBER_QUEUE", 256, minimum=1)
# The run page's view of a run's last messages (kept in memory or Redis, never in the database).
REALTIME_RECENT_PER_RUN = env_int("DEVSERVER_REALTIME_RECENT_PER_RUN", 50, minimum=1)

# --- SDK sync ---------------------------------------------------------------------------
SDK_URLS = env_list("DEVSERVER_SDK_URLS", [])
POLL_INTERVAL = env_float("DEVSERVER_POLL_INTERVAL", 5.0, minimum=0.5)
DISCOVERY = env_bool("DEVSERVER_DISCOVERY", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"secrets": {"()": "devserver.log_masking.MaskSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DEVSERVER_LOG_LEVEL", "INFO")},
    "loggers": {
        "celery": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
    },
}
