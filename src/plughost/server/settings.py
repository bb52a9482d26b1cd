"""Django settings for the plughost server.

All configuration comes from ``PLUGHOST_*`` environment variables, read once
by ``plughost.server.config`` (see README.md). Other layers read the values
here as ``django.conf.settings.PLUGHOST_*``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from plughost.server.config import build_database, build_email, load_secret_key, read_config

CONFIG = read_config(os.environ)

# --- plughost -------------------------------------------------------------
PLUGHOST_DATA_DIR: Path = CONFIG.data_dir
PLUGHOST_PLUGIN_DIR: Path = CONFIG.plugin_dir  # <data dir>/plugins
PLUGHOST_PLUGINS_FILE: Path = CONFIG.plugins_file  # <data dir>/plugins.txt
PLUGHOST_PLUGIN_DIRS: tuple[Path, ...] = CONFIG.plugin_dirs
PLUGHOST_SAMPLE_PLUGINS: bool = CONFIG.sample_plugins
PLUGHOST_PLUGIN_NOINSTALL: bool = CONFIG.plugin_noinstall
PLUGHOST_PLUGINS_ON_STARTUP: bool = CONFIG.plugins_on_startup
PLUGHOST_INSTALL_TIMEOUT: float = CONFIG.install_timeout
# The interpreter whose environment plugin packages are installed into (default: this one).
PLUGHOST_INSTALL_PYTHON: str = CONFIG.install_python or sys.executable
PLUGHOST_HOST_VERSION: str = CONFIG.host_version
PLUGHOST_NODE_ID: str | None = CONFIG.node_id  # None: generated, kept in <data dir>/node_id
PLUGHOST_PLUGIN_LOAD_TIMEOUT: float = CONFIG.plugin_load_timeout
PLUGHOST_PLUGINS_ENABLED: bool = CONFIG.plugins_enabled  # off: builtin plugins only
PLUGHOST_ADMIN_USER: str | None = CONFIG.admin_user
PLUGHOST_ADMIN_PASSWORD: str | None = CONFIG.admin_password
# Serves GET /api/bench/floor/ for the benchmark (benchmarks/); off in normal use.
PLUGHOST_BENCH_FLOOR: bool = CONFIG.bench_floor

# How often `plughost worker` looks for due schedules (django-q's own loop: every 30 s).
PLUGHOST_SCHEDULE_INTERVAL: float = CONFIG.schedule_interval
PLUGHOST_TASK_TIMEOUT: int = CONFIG.task_timeout

# Request limits (plughost.server.limits): body size, and failed authentications.
PLUGHOST_MAX_REQUEST_BYTES: int = CONFIG.max_request_bytes
PLUGHOST_AUTH_FAILURE_LIMIT: int = CONFIG.auth_failure_limit  # 0: no limit
PLUGHOST_AUTH_FAILURE_WINDOW: float = CONFIG.auth_failure_window
# Django's own check of a body it reads, in case anything reads one the middleware let by.
DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_request_bytes

# --- Django ---------------------------------------------------------------
SECRET_KEY = load_secret_key(CONFIG)
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # Serves the Swagger UI files of drf_spectacular_sidecar under /static/.
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The task queue and scheduler of plugin events, notifications and scheduled tasks.
    "django_q",
    "plughost.db.apps.PluginDbConfig",
]

MIDDLEWARE = [
    # First: refuse oversized bodies and credential floods before any other work.
    "plughost.server.limits.RequestLimitsMiddleware",
    "plughost.server.limits.AuthFailureLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "plughost.server.middleware.ContentLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "plughost.server.urls"
WSGI_APPLICATION = "plughost.server.wsgi.application"
# InvenTree answers a missing slash with 404, never a redirect.
APPEND_SLASH = False
X_FRAME_OPTIONS = "DENY"
# A failed CSRF check (plugin views with a session) answers JSON, as the API does.
CSRF_FAILURE_VIEW = "plughost.server.limits.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {"default": build_database(CONFIG)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "plughost": {"level": "DEBUG" if DEBUG else "INFO"},
        # InvenTree's logger name: plugins log to it (self.logger is inventree.plugin.<key>).
        "inventree": {"level": "DEBUG" if DEBUG else "INFO"},
    },
}

# --- Email (notifications) -----------------------------------------------
_EMAIL = build_email(CONFIG)  # PLUGHOST_EMAIL_URL, PLUGHOST_EMAIL_FROM
EMAIL_BACKEND: str = _EMAIL["EMAIL_BACKEND"]
EMAIL_FILE_PATH: str | None = _EMAIL.get("EMAIL_FILE_PATH")
EMAIL_HOST: str = _EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT: int = _EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER: str = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD: str = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS: bool = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL: bool = _EMAIL.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT: int = _EMAIL["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL: str = _EMAIL["DEFAULT_FROM_EMAIL"]
SERVER_EMAIL: str = DEFAULT_FROM_EMAIL

# --- Task queue (django-q2, the database as broker) -----------------------
# Events, notifications and plugin schedules run in `plughost worker` processes; any number
# of them, on any node, share the queue and the schedules through the database.
Q_CLUSTER = {
    "name": "plughost",
    "orm": "default",
    "workers": CONFIG.task_workers,
    # A task running longer is stopped and recorded as failed; retry must exceed it, or an
    # unfinished task would be handed to a second worker.
    "timeout": CONFIG.task_timeout,
    "retry": CONFIG.task_timeout + 60,
    # A task that raises is recorded once and not run again.
    "ack_failures": True,
    "max_attempts": 1,
    # A schedule missed while no worker ran fires once, not once per missed period.
    "catch_up": False,
    "poll": 0.5,
    # Keep the last 50 successful runs of each schedule and each event plugin.
    "save_limit": 50,
    "save_limit_per": "group",
    "recycle": 200,
    "label": "Tasks",
}

# --- Django REST framework ------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous request gets 401 with `WWW-Authenticate: Token`.
    # DRF's TokenAuthentication with a few seconds' cache of token -> user (see the module).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "plughost.api.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSONRenderer, encoded by orjson (same output, a fraction of the time).
    "DEFAULT_RENDERER_CLASSES": ["plughost.api.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # DRF's, with a 400 for stack-deep nesting and lone surrogates (api/parsers.py).
        "plughost.api.parsers.StrictJSONParser",
        "plughost.api.parsers.StrictFormParser",
        "plughost.api.parsers.StrictMultiPartParser",
    ],
    # drf-spectacular's, documenting every operation's 4xx answers too.
    "DEFAULT_SCHEMA_CLASS": "plughost.api.schema.PlughostAutoSchema",
    "EXCEPTION_HANDLER": "plughost.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "InvenTree API",
    "DESCRIPTION": "API for InvenTree - the intuitive open source inventory management system",
    "VERSION": "198",
    "LICENSE": {
        "name": "MIT",
        "url": "https://github.com/inventree/InvenTree/blob/master/LICENSE",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": False,
    # Swagger UI and ReDoc from the sidecar package: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Enum components named for what they are, not for the field that happens to hold them.
    "ENUM_NAME_OVERRIDES": {
        "AuditActionEnum": "plughost.db.models.AuditAction",
        "AuditResultEnum": "plughost.db.models.AuditResult",
    },
}
