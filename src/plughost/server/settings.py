"""Django settings for the plughost server.

All configuration comes from ``PLUGHOST_*`` environment variables, read once
by ``plughost.server.config`` (see README.md). Other layers read the values
here as ``django.conf.settings.PLUGHOST_*``.
"""

from __future__ import annotations

import os
from pathlib import Path

from plughost.server.config import build_database, load_secret_key, read_config

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
PLUGHOST_HOST_VERSION: str = CONFIG.host_version
PLUGHOST_NODE_ID: str | None = CONFIG.node_id  # None: generated, kept in <data dir>/node_id
PLUGHOST_ADMIN_USER: str | None = CONFIG.admin_user
PLUGHOST_ADMIN_PASSWORD: str | None = CONFIG.admin_password

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
    "plughost.db.apps.PluginDbConfig",
]

MIDDLEWARE = [
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
    "loggers": {"plughost": {"level": "DEBUG" if DEBUG else "INFO"}},
}

# --- Django REST framework ------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous request gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.BasicAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
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
}
