"""Shahrvand settings: one module, driven by the environment.

``DJANGO_ENV`` picks the profile: ``development`` (the default, what ``make run`` uses),
``test`` (what ``make test`` uses) or ``production``. Production refuses to start with an
insecure default: no secret key, the development key, a short key, DEBUG on, or no hosts.

Environment variables (all optional outside production):

- ``SECRET_KEY`` — required in production, at least 50 characters.
- ``DEBUG`` — ``1``/``0``; on in development, off elsewhere.
- ``ALLOWED_HOSTS`` — comma-separated; required in production.
- ``DATABASE_URL`` — ``postgres://…`` for PostgreSQL; SQLite under ``var/`` when unset.
- ``DATABASE_POOL`` — ``0`` turns off psycopg's connection pool on PostgreSQL.
- ``SHAHRVAND_VAR_DIR`` — where SQLite, uploads and keys live (default ``var/``).
- ``SECURE_SSL_REDIRECT``, ``SECURE_PROXY_SSL_HEADER`` — production behind a TLS proxy.
- ``LOG_FORMAT`` — ``json`` (production default) or ``text``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

DEV_SECRET_KEY = "django-insecure-shahrvand-development-only-never-use-in-production"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", DJANGO_ENV == "development")
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver", "[::1]"])

if PRODUCTION:
    problems = []
    if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        problems.append("SECRET_KEY is missing or is the development default")
    elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        problems.append("SECRET_KEY must be at least 50 characters with 5 distinct characters")
    if DEBUG:
        problems.append("DEBUG must be off")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must name the site's hosts")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")

VAR_DIR = Path(os.environ.get("SHAHRVAND_VAR_DIR", BASE_DIR / "var"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "shahrvand.core",
    "shahrvand.audit",
    "shahrvand.registry",
    "shahrvand.documents",
    "shahrvand.sms",
    "shahrvand.identity",
    "shahrvand.cases",
    "shahrvand.citizens",
    "shahrvand.revenue",
    "shahrvand.payments",
    "shahrvand.settlement",
    "shahrvand.transparency",
    "shahrvand.planning",
    "shahrvand.permits",
    "shahrvand.demo",
    "shahrvand.staffaccounts",
    "shahrvand.api",
    "shahrvand.backoffice",
]

MIDDLEWARE = [
    "shahrvand.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shahrvand.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shahrvand.core.middleware.PersianFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Staff pass a second factor (TOTP) before any /staff/ or admin page.
    "shahrvand.identity.decorators.StaffSecondFactorMiddleware",
    "shahrvand.staffaccounts.middleware.PasswordChangeRequiredMiddleware",  # temporary passwords replaced first
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shahrvand.audit.middleware.AccessDeniedAuditMiddleware",
]

ROOT_URLCONF = "shahrvand.urls"
WSGI_APPLICATION = "shahrvand.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shahrvand.core.context_processors.site",
            ],
            "builtins": ["shahrvand.core.templatetags.persian"],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})
        if env_bool("DATABASE_POOL", True):
            _db["OPTIONS"]["pool"] = {"min_size": 1, "max_size": int(os.environ.get("DATABASE_POOL_SIZE", "8"))}
        _db["TEST"] = {"NAME": os.environ.get("DATABASE_TEST_NAME") or f"test_{_db['NAME']}"}
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "shahrvand.sqlite3"),
            "OPTIONS": {
                # Writers take the lock when the transaction starts: no upgrade deadlocks, and
                # the audit chain is appended by one writer at a time.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# --- Language, time ------------------------------------------------------------------------
LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "shahrvand_language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Collected files are served by WhiteNoise in production; development serves from the apps.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static")) if PRODUCTION else None
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
FONT_DIR = PACKAGE_DIR / "fonts"
# Private signing keys: a folder outside the repository (var/ is git-ignored). Production sets it.
SHAHRVAND_KEY_DIR = Path(os.environ.get("SHAHRVAND_KEY_DIR", VAR_DIR / "keys"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Health checks come from the local load balancer over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy: every asset is local; no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Rate limits, sign-in lockouts and the transparency cache live in Django's cache. Local memory counts per
# process: with several gunicorn workers (or servers) set SHAHRVAND_CACHE_URL=redis://127.0.0.1:6379/1 so a
# limit holds across all of them (docs/operations.md).
CACHE_URL = os.environ.get("SHAHRVAND_CACHE_URL", "")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("SHAHRVAND_CACHE_URL must be a redis://, rediss:// or unix:// address")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL, "KEY_PREFIX": "shahrvand"}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shahrvand"}
    )
}

# --- Logging -------------------------------------------------------------------------------
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shahrvand.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "shahrvand.core.logging.JsonLinesFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"json", "text"} else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Shahrvand -----------------------------------------------------------------------------
# Public verification endpoints: requests per client per endpoint ("60/m", "10/s"; "0" = off).
# The default cache is per process: with several workers use a shared cache (Redis) in production.
SHAHRVAND_VERIFY_RATE = os.environ.get("SHAHRVAND_VERIFY_RATE", "60/m")
# SMS: "outbox" (records; the demo shows staff what was sent), "console", or "kavenegar".
SMS_BACKEND = "outbox" if DJANGO_ENV == "test" else os.environ.get("SMS_BACKEND", "outbox")
KAVENEGAR_API_KEY = os.environ.get("KAVENEGAR_API_KEY", "")
KAVENEGAR_SENDER = os.environ.get("KAVENEGAR_SENDER", "")
KAVENEGAR_BASE_URL = os.environ.get("KAVENEGAR_BASE_URL", "https://api.kavenegar.com")
# National-code ↔ mobile matching (Shahkar): "sandbox" answers deterministically (see identity/matching.py).
MOBILE_MATCHING_BACKEND = os.environ.get("MOBILE_MATCHING_BACKEND", "sandbox")
OTP_TOTP_ISSUER = "Shahrvand"
# Who gets a requester's news by SMS: the citizen's bound mobile (None when they turned SMS off).
SHAHRVAND_SMS_RECIPIENT = "shahrvand.citizens.selectors.sms_recipient"
# How many reverse proxies in front may be trusted for X-Forwarded-For (0: use REMOTE_ADDR).
SHAHRVAND_TRUSTED_PROXY_COUNT = int(os.environ.get("SHAHRVAND_TRUSTED_PROXY_COUNT", "0"))
SHAHRVAND_SITE_NAME = _("Shahrvand")
# The public address printed on paper (QR codes, enrollment slips).
SHAHRVAND_PUBLIC_URL = os.environ.get("SHAHRVAND_PUBLIC_URL", "http://127.0.0.1:8000")
