"""Settings for every environment, read from environment variables only.

With no environment at all this is the embedded default: SQLite under var/, Celery
tasks run in-process, e-mails written as files under var/mail/, DEBUG on. Production
switches on by variables (see README "Configuration").
"""

from pathlib import Path

import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)

_INSECURE_DEV_KEY = "embedded-default-key-not-for-production-" + "x" * 20
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: export SECRET_KEY with at least 50 random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    SECRET_KEY = _INSECURE_DEV_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute URL of the site, used in e-mails, PDFs and QR codes (made outside a request).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "widget_tweaks",
    "dsfr",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "mozilla_django_oidc",
    "django_celery_beat",
    "portal",
    "notifications",
    "accounts",
    "journal",
    "titles",
    "vehicles",
    "licences",
    "identity",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # NUL → 400, too large a body → 413: its process_view runs before CsrfViewMiddleware's, which reads the body.
    "portal.middleware.RequestGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A device marked as shared (portal/kiosk.py): short session, no autocomplete, no cache. Its response half runs
    # before SessionMiddleware saves the session.
    "portal.kiosk.KioskMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: the French error pages under DEBUG too (the embedded default), unless TECHNICAL_ERROR_PAGES is set.
    "portal.middleware.FrenchErrorPagesMiddleware",
]
TECHNICAL_ERROR_PAGES = env.bool("TECHNICAL_ERROR_PAGES", default=False)

ROOT_URLCONF = env.str("ROOT_URLCONF", default="portal.urls")  # bench/run.sh adds /bench/hello
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.site",
            ],
            "builtins": ["titles.templatetags.titles_tags"],
        },
    },
]

if "DATABASE_URL" not in env:
    # The embedded default keeps its SQLite file under var/, which a fresh clone does not have yet.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The pages read most prepare their query once per connection on PostgreSQL (core/compiled_query.py); off behind a
# connection pooler in transaction mode, which does not keep a session's prepared statements.
PORTAL_PREPARED_QUERIES = env.bool("PORTAL_PREPARED_QUERIES", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for the writer rather than failing at once under the development server's threads.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.franceconnect.FranceConnectBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "titles:dashboard"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"  # never served directly: files go through permission-checked views

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# The largest body a view reads, refused from its Content-Length before it is received
# (portal.middleware.RequestGuardMiddleware): one file at the uploads' limit (titles.uploads.UploadRules, 10 Mo) and
# the form around it. The documents step, which takes all of a procedure's files at once, declares its own limit.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=11 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # a larger file is spooled to a temporary file while received
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # the form's fields other than files: text, never megabytes of it
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# Cache and Celery: Redis when REDIS_URL is set, in-process otherwise.
REDIS_URL = env.str("REDIS_URL", default="")
# Per process, no network: fragments that only change with a deployment (the layout's head and footer, empty forms).
LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"}


def redis_cache(url):
    """The shared cache. Everything in it can be recomputed (sessions are written through to the database, page
    fragments are keyed by content, statistics and navigation links are recomputed), so an unreachable Redis is a
    miss, logged, not an error page: the portal slows down instead of going down."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }


DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL), "local": LOCAL_CACHE}
    # Sessions read from Redis, written through to the database (they survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "local": LOCAL_CACHE}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# Keep a worker's database connection across tasks (Celery closes it after each one by default, ≈ 8 ms to reopen);
# it is still closed every 200 tasks, and a task that meets a dead connection leaves its outbox row pending.
CELERY_DB_REUSE_MAX = 100
# A dead broker must not hold a request long: publish retries briefly, the outbox sweeper does the rest.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each worker process holds one message beyond the one it runs: with acks_late and a multiplier of 1, a process
# asks Redis for its next task only after acknowledging the last, and sits idle meanwhile; on ~0.1 s PDF tasks that
# gap cost 3 to 10 % of the throughput in five paired runs (bench/README.md). A process that dies gives its reserved
# message back (acks_late), and the outbox sweeper re-queues whatever is still pending: tasks are idempotent.
CELERY_WORKER_PREFETCH_MULTIPLIER = 2
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "titles.tasks.render_*": {"queue": "pdf"},
    "notifications.tasks.send_email": {"queue": "email"},
    "*.send_*": {"queue": "email"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "requeue-pending-outbox": {"task": "titles.tasks.requeue_pending", "schedule": 60.0},
    "requeue-pending-emails": {"task": "notifications.tasks.requeue_pending", "schedule": 60.0},
    "clean-up-drafts": {"task": "titles.tasks.clean_up_drafts", "schedule": 6 * 3600.0},
    "identity-expire-pre-demandes": {"task": "identity.tasks.expire_pre_demandes", "schedule": 6 * 3600.0},
    "vehicles-deadline-reminders": {"task": "vehicles.tasks.send_deadline_reminders", "schedule": 3600.0},
    "licences-close-unmailed-international": {
        "task": "licences.tasks.close_unmailed_international",
        "schedule": 6 * 3600.0,
    },
    "api-purge-idempotency-keys": {"task": "api.tasks.purge_idempotency_keys", "schedule": 3600.0},
    "api-retry-due-webhooks": {"task": "api.tasks.retry_due_webhooks", "schedule": 300.0},
    # /statistiques/ reads a snapshot of its figures (titles.stats.SNAPSHOT_SECONDS).
    "titles-refresh-statistics": {"task": "titles.tasks.refresh_statistics", "schedule": 300.0},
    # Card refunds a broker outage or a killed worker left pending (titles.cards).
    "titles-requeue-card-refunds": {"task": "titles.tasks.requeue_card_refunds", "schedule": 60.0},
}

# E-mail: every e-mail, Django's own included, is an outbox row sent by a worker after commit (notifications/);
# the worker delivers through SMTP when EMAIL_URL is set (smtp+tls://user:pass@host:587), to files under var/mail/
# otherwise.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Portail des démarches <ne-pas-repondre@demarches.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _smtp = env.email_url("EMAIL_URL")
    globals().update(_smtp)
    NOTIFICATIONS_DELIVERY_BACKEND = _smtp["EMAIL_BACKEND"]
else:
    NOTIFICATIONS_DELIVERY_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_BACKEND = "notifications.backends.OutboxEmailBackend"

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
# An idle timeout, not an absolute one: portal.middleware.SessionRefreshMiddleware pushes the expiry back when a
# session is used, writing it at most once a minute (not on every request, as SESSION_SAVE_EVERY_REQUEST would).
SESSION_REFRESH_INTERVAL = env.int("SESSION_REFRESH_INTERVAL", default=60)
SESSION_COOKIE_SAMESITE = "Lax"  # the FranceConnect return is a top-level cross-site GET
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # No inline script: the DSFR's scripts come from 'self'. A template that ever needs one reads
        # request.csp_nonce, and django-csp then replaces the NONCE sentinel by 'nonce-<value>' (and drops it on every
        # other response). The string "'nonce'" was sent as it is, a source matching nothing.
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'", *env.list("CSP_FORM_ACTION", default=[])],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Brute force: lock on the account, not the IP (a point numérique shares one IP).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for the IP in the lockout key; that would lock every citizen of a point numérique at once.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
# Spraying one password over many accounts from one IP: once an IP has failed on LOGIN_SPRAY_ACCOUNTS distinct
# accounts within the window, each further failure makes it wait, the wait doubling up to the cap. A point numérique
# is slowed down for a few seconds, never locked out (accounts/throttling.py).
LOGIN_SPRAY_ACCOUNTS = env.int("LOGIN_SPRAY_ACCOUNTS", default=20)
LOGIN_SPRAY_WINDOW = env.int("LOGIN_SPRAY_WINDOW_SECONDS", default=15 * 60)
LOGIN_SPRAY_MAX_DELAY = env.int("LOGIN_SPRAY_MAX_DELAY_SECONDS", default=60)
# E-mails anyone can have sent to an address (password reset, confirmation link again, "an account already exists"):
# at most this many of each kind per address and per IP in the window; past it the page answers the same, silently.
ACCOUNT_EMAILS_PER_ADDRESS = env.int("ACCOUNT_EMAILS_PER_ADDRESS", default=3)
ACCOUNT_EMAILS_PER_IP = env.int("ACCOUNT_EMAILS_PER_IP", default=30)
ACCOUNT_EMAILS_WINDOW = env.int("ACCOUNT_EMAILS_WINDOW_SECONDS", default=60 * 60)

# One shared engine for django-dsfr's form templates (its default builds one per form render).
FORM_RENDERER = "dsfr.forms.DsfrDjangoTemplates"
DSFR_MARK_OPTIONAL_FIELDS = True  # the DSFR marks optional fields, not required ones
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Portail des démarches")
# An administrator never sees an agent's TOTP secret (key, configuration URL, QR code): whoever copies it holds
# the agent's second factor. A lost phone is handled by deleting the device; the agent enrols a new one.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# FranceConnect v2 through mozilla-django-oidc, on when OIDC_RP_CLIENT_ID is set.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
_fc_base = OIDC_OP_ISSUER.rstrip("/")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default=f"{_fc_base}/authorize")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default=f"{_fc_base}/token")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default=f"{_fc_base}/userinfo")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default=f"{_fc_base}/jwks")
OIDC_OP_LOGOUT_ENDPOINT = env.str("OIDC_OP_LOGOUT_ENDPOINT", default=f"{_fc_base}/session/end")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="ES256")
OIDC_RP_SCOPES = env.str(
    "OIDC_RP_SCOPES",
    default="openid given_name family_name birthdate birthplace birthcountry gender preferred_username email",
)
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"acr_values": env.str("OIDC_ACR_VALUES", default="eidas1")}
OIDC_STORE_ID_TOKEN = True
OIDC_USE_NONCE = True
OIDC_STATE_SIZE = 32
OIDC_NONCE_SIZE = 32
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
OIDC_OP_LOGOUT_URL_METHOD = "accounts.franceconnect.provider_logout_url"
OIDC_CALLBACK_CLASS = "accounts.franceconnect.CallbackView"
OIDC_AUTHENTICATE_CLASS = "accounts.franceconnect.AuthenticateView"
OIDC_CREATE_USER = True
LOGIN_REDIRECT_URL_FAILURE = "/compte/connexion/"
ALLOW_LOGOUT_GET_METHOD = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API des professionnels",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "L'API des écoles de conduite et des professionnels de l'automobile habilités : déposer et suivre les "
        "démarches de leurs élèves et clients sous mandat, depuis leur logiciel. Authentification : "
        "« Authorization: Bearer <clé> », une clé créée par le responsable de l'organisation dans l'espace "
        "professionnel (droits read, file, documents). Tout POST accepte un en-tête Idempotency-Key : rejouée "
        "dans les 24 heures, la requête reçoit la première réponse. Les erreurs suivent la RFC 9457 "
        "(application/problem+json)."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# The professionals' API (api/): requests per API key (DRF rates: "<n>/<second|minute|hour|day>"), per burst and
# sustained; webhooks: timeouts of one try (seconds), back-off base × 2^(try − 1) capped, tries before "failed".
API_THROTTLE_RATES = {
    "burst": env.str("API_THROTTLE_BURST", default="120/minute"),
    "sustained": env.str("API_THROTTLE_SUSTAINED", default="5000/hour"),
}
API_WEBHOOK_CONNECT_TIMEOUT = env.float("API_WEBHOOK_CONNECT_TIMEOUT", default=3.0)
API_WEBHOOK_READ_TIMEOUT = env.float("API_WEBHOOK_READ_TIMEOUT", default=10.0)
API_WEBHOOK_RETRY_BASE = env.int("API_WEBHOOK_RETRY_BASE", default=30)
API_WEBHOOK_RETRY_CAP = env.int("API_WEBHOOK_RETRY_CAP", default=6 * 3600)
API_WEBHOOK_MAX_ATTEMPTS = env.int("API_WEBHOOK_MAX_ATTEMPTS", default=10)

# Branding is configuration: a demo or clone must not pose as an official site.
PORTAL_SITE_TITLE = env.str("PORTAL_SITE_TITLE", default="Portail des démarches en ligne")
PORTAL_SITE_TAGLINE = env.str(
    "PORTAL_SITE_TAGLINE", default="Carte d'identité, passeport, permis de conduire, carte grise"
)
PORTAL_BRAND_HTML = env.str("PORTAL_BRAND_HTML", default="Démonstration<br>non officielle")
PORTAL_OPERATOR = env.str("PORTAL_OPERATOR", default="Équipe du portail (démonstration)")
PORTAL_CONTACT_EMAIL = env.str("PORTAL_CONTACT_EMAIL", default="contact@demarches.example")
# The release's name (the image's commit, say): it keys the pages kept whole in the cache (core/release.py).
PORTAL_RELEASE = env.str("PORTAL_RELEASE", default="")
PORTAL_NOTICE = env.str(
    "PORTAL_NOTICE",
    default="Site de démonstration : aucune démarche déposée ici n'a de valeur officielle." if DEBUG else "",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "ERROR"}, "fontTools": {"level": "ERROR"}},
}
