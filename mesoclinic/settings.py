"""Settings, from the environment only (see README "Configuration").

Nothing here has a committed secret: the secret key comes from
MESOCLINIC_SECRET_KEY, a file named by MESOCLINIC_SECRET_KEY_FILE, or a key
generated once into the data directory with mode 600.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from mesoclinic import release
from mesoclinic.envconfig import (
    data_dir,
    envbool,
    envdict,
    envint,
    envlist,
    envstr,
    photo_key,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = envbool("MESOCLINIC_DEBUG", False)
ALLOWED_HOSTS = envlist("MESOCLINIC_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("MESOCLINIC_CSRF_TRUSTED_ORIGINS", "")
# The address patients reach the portal at, for links in emails sent by the worker
# (which has no request to build them from); empty: emails carry no portal links.
PUBLIC_URL = envstr("MESOCLINIC_PUBLIC_URL", "").rstrip("/")

# Behind TLS in production; `make demo` serves plain HTTP on loopback and turns this off.
HTTPS = envbool("MESOCLINIC_HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("MESOCLINIC_BEHIND_PROXY", False) else None
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "mesoclinic.web.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # django-ninja's own Swagger files (static/ninja/), so the API docs need no CDN.
    "ninja",
    "mesoclinic.accounts",
    "mesoclinic.audit",
    "mesoclinic.patients",
    "mesoclinic.plans",
    "mesoclinic.treatments",
    "mesoclinic.scheduling",
    "mesoclinic.outcomes",
    "mesoclinic.notifications",
    "mesoclinic.billing",
    "mesoclinic.photos",
    "mesoclinic.payments",
    "mesoclinic.portal",
    "mesoclinic.web",
    "mesoclinic.api",
    "mesoclinic.fhir",
    "mesoclinic.exports",
    "mesoclinic.imports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "mesoclinic.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "mesoclinic.accounts.middleware.IdleTimeoutMiddleware",
    "mesoclinic.accounts.middleware.NoStoreMiddleware",
    "mesoclinic.accounts.middleware.TenantMiddleware",
    "mesoclinic.accounts.middleware.PortalBoundaryMiddleware",
    # The tablet handed to a patient shows their consent and nothing else (portal/kiosk.py).
    "mesoclinic.portal.kiosk.KioskMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mesoclinic.urls"
WSGI_APPLICATION = "mesoclinic.wsgi.application"

# Widgets render through the Jinja2 engine, so that jinja2/django/forms/ can
# replace Django's slower ones (select.html inlines its options).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# The embedded default keeps caches in each server process (versioned keys make that
# correct); several servers share one Redis (MESOCLINIC_CACHE_URL=redis://host:6379/0).
_cache_url = envstr("MESOCLINIC_CACHE_URL", "")
if _cache_url and not _cache_url.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("MESOCLINIC_CACHE_URL must be a redis://, rediss:// or unix:// URL")
# Cached fragments are keyed by the release too: two releases sharing one cache (a
# rolling deploy) never serve each other's pages.
_cache_prefix = "mesoclinic-" + (envstr("MESOCLINIC_RELEASE", "") or release.digest())
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": _cache_prefix,
        }
        if _cache_url
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "mesoclinic",
            "KEY_PREFIX": _cache_prefix,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}
# How long a cached patient chart may be served at most (it is keyed by its version).
CHART_CACHE_SECONDS = envint("MESOCLINIC_CHART_CACHE_SECONDS", 3600)

TEMPLATES = [
    # The project's pages, partials, emails and printed sheets (mesoclinic/jinja2/), and
    # the form widgets (django/forms/jinja2/, through FORM_RENDERER = TemplatesSetting).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "mesoclinic.jinja_env.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mesoclinic.accounts.context_processors.role",
            ],
        },
    },
    # Third-party pages only (django-ninja's API documentation page).
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mesoclinic.accounts.context_processors.role",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'mesoclinic.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        envstr("MESOCLINIC_DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE transactions plus a busy
    # timeout make concurrent writers queue instead of failing "database is locked".
    # Connections persist (CONN_MAX_AGE from the URL, as on PostgreSQL): a new one per
    # request re-read the schema, started with cold caches and checkpointed the WAL on
    # close, half the CPU of the lightest pages (issue 13).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": envstr("MESOCLINIC_TEST_SQLITE", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "mesoclinic.accounts.backends.OrganizationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# The optional second step of a patient's sign-in (portal/two_factor.py).
OTP_TOTP_ISSUER = "mesoclinic"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins: 5 failures within 15 minutes lock the account (from any address) and
# the address (for every account), so one address cannot try a few passwords on each
# account, nor many addresses one account. A clinic behind one address shares its count.
AXES_FAILURE_LIMIT = envint("MESOCLINIC_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("MESOCLINIC_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The log-in form posts the email as "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# Sessions end after this much inactivity (see accounts.middleware.IdleTimeoutMiddleware).
SESSION_IDLE_MINUTES = envint("MESOCLINIC_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

EMAIL_BACKEND = envstr("MESOCLINIC_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = envstr("MESOCLINIC_FROM_EMAIL", "mesoclinic@localhost")
EMAIL_HOST = envstr("MESOCLINIC_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("MESOCLINIC_EMAIL_PORT", 25)

# Text messages, through a backend chosen like the email one (notifications/sms_backends.py).
SMS_BACKEND = envstr(
    "MESOCLINIC_SMS_BACKEND", "mesoclinic.notifications.sms_backends.ConsoleBackend"
)
SMS_FILE_PATH = str(DATA_DIR / "sms")
SMS_FROM = envstr("MESOCLINIC_SMS_FROM", "")
SMS_HTTP_URL = envstr("MESOCLINIC_SMS_HTTP_URL", "")
SMS_HTTP_AUTH_HEADER = envstr("MESOCLINIC_SMS_HTTP_AUTH_HEADER", "Authorization")
# The header's value: from the environment, or read at send time from this file.
SMS_HTTP_AUTH = envstr("MESOCLINIC_SMS_HTTP_AUTH", "")
SMS_HTTP_AUTH_FILE = envstr("MESOCLINIC_SMS_HTTP_AUTH_FILE", str(DATA_DIR / "sms-auth"))
SMS_HTTP_BODY = envstr(
    "MESOCLINIC_SMS_HTTP_BODY", '{"to": "{to}", "from": "{from}", "text": "{text}"}'
)
SMS_HTTP_ID_FIELD = envstr("MESOCLINIC_SMS_HTTP_ID_FIELD", "id")
SMS_HTTP_TIMEOUT = envint("MESOCLINIC_SMS_HTTP_TIMEOUT", 10)

# Background tasks (reminder emails) are rows in the database, run by `mesoclinic worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("MESOCLINIC_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Clinical photos (mesoclinic/photos): encrypted with a key generated once into the data
# dir, kept by the inner storage: files under DATA_DIR/photos (never a served path), or
# any Django storage class, such as an S3 backend, with its keyword arguments as JSON.
_files = "django.core.files.storage.FileSystemStorage"
_photo_inner = envstr("MESOCLINIC_PHOTO_STORAGE", "") or _files
_photo_inner_options: dict[str, object] = (
    {
        "location": DATA_DIR / "photos",
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    }
    if _photo_inner == _files
    else {}
)
STORAGES["photos"] = {
    "BACKEND": "mesoclinic.photos.storage.EncryptedStorage",
    "OPTIONS": {
        "key": photo_key(DATA_DIR),
        "inner": _photo_inner,
        "inner_options": _photo_inner_options | envdict("MESOCLINIC_PHOTO_STORAGE_OPTIONS"),
    },
}
PHOTO_MAX_BYTES = envint("MESOCLINIC_PHOTO_MAX_MB", 25) * 1024 * 1024
# The clinic's letterhead logo (accounts/letterhead.py): a small uploaded file kept under
# the data dir like the photos, never under static.
STORAGES["letterheads"] = {
    "BACKEND": _files,
    "OPTIONS": {
        "location": DATA_DIR / "letterheads",
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    },
}

# JSON API calls per token (or per colleague for the pages' own calls): "600/m", "50/s".
NINJA_DEFAULT_THROTTLE_RATES = {"token": envstr("MESOCLINIC_API_RATE", "600/m")}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "mesoclinic.log_filters.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_refusals"]}},
    "root": {"handlers": ["console"], "level": envstr("MESOCLINIC_LOG_LEVEL", "WARNING")},
}
