"""Read the ``PLUGHOST_*`` environment once into a typed, frozen record.

Every variable is documented in README.md. ``read_config`` raises
``ImproperlyConfigured`` naming the variable and what it accepts.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from plughost.core.files import create_once

TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/plughost"
DEFAULT_HOST_VERSION = "0.16.0"
DEFAULT_INSTALL_TIMEOUT = 300.0
DEFAULT_TASK_WORKERS = 2
MAX_TASK_WORKERS = 16
DEFAULT_TASK_TIMEOUT = 90
DEFAULT_SCHEDULE_INTERVAL = 10.0
DEFAULT_EMAIL_FROM = "plughost@localhost"
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
DEFAULT_AUTH_FAILURE_LIMIT = 10
DEFAULT_AUTH_FAILURE_WINDOW = 300.0
SECRET_KEY_FILE = "secret_key"
# Keep each worker thread's database connection between requests: opening one per request
# (Django's default) cost a quarter of a simple API request on SQLite, more on PostgreSQL.
CONNECTION_MAX_AGE_SECONDS = 600
PREPARE_THRESHOLD = 2
"""PostgreSQL: a statement run this many times on a connection is prepared (see below)."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True)
class Config:
    """The server's configuration, as read from the environment."""

    data_dir: Path
    database_url: str | None
    secret_key: str | None
    debug: bool
    allowed_hosts: tuple[str, ...]
    admin_user: str | None
    admin_password: str | None
    plugin_dirs: tuple[Path, ...]
    sample_plugins: bool
    plugin_noinstall: bool
    plugins_on_startup: bool
    install_timeout: float
    host_version: str
    node_id: str | None = None
    plugins_enabled: bool = True
    plugin_load_timeout: float = 10.0
    bench_floor: bool = False
    install_python: str | None = None
    task_workers: int = DEFAULT_TASK_WORKERS
    task_timeout: int = DEFAULT_TASK_TIMEOUT
    schedule_interval: float = DEFAULT_SCHEDULE_INTERVAL
    email_url: str | None = None
    email_from: str = DEFAULT_EMAIL_FROM
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    auth_failure_limit: int = DEFAULT_AUTH_FAILURE_LIMIT
    auth_failure_window: float = DEFAULT_AUTH_FAILURE_WINDOW

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "plughost.sqlite3"

    @property
    def plugin_dir(self) -> Path:
        """Return the folder that holds plugins dropped into the data dir."""
        return self.data_dir / "plugins"

    @property
    def plugins_file(self) -> Path:
        """Return the requirements file of the installed plugin packages."""
        return self.data_dir / "plugins.txt"


def read_config(environ: Mapping[str, str]) -> Config:
    """Build the configuration from ``environ``; raise ``ImproperlyConfigured`` on bad values."""
    test_postgres = read_flag(environ, "PLUGHOST_TEST_POSTGRES")
    return Config(
        data_dir=Path(environ.get("PLUGHOST_DATA_DIR") or "data").resolve(),
        database_url=TEST_POSTGRES_URL
        if test_postgres
        else environ.get("PLUGHOST_DATABASE_URL") or None,
        secret_key=environ.get("PLUGHOST_SECRET_KEY") or None,
        debug=read_flag(environ, "PLUGHOST_DEBUG"),
        allowed_hosts=_split(environ.get("PLUGHOST_ALLOWED_HOSTS", "*"), ","),
        admin_user=environ.get("PLUGHOST_ADMIN_USER") or None,
        admin_password=environ.get("PLUGHOST_ADMIN_PASSWORD") or None,
        plugin_dirs=tuple(
            Path(p).resolve() for p in _split(environ.get("PLUGHOST_PLUGIN_DIRS", ""), ":")
        ),
        sample_plugins=read_flag(environ, "PLUGHOST_SAMPLE_PLUGINS"),
        plugin_noinstall=read_flag(environ, "PLUGHOST_PLUGIN_NOINSTALL"),
        plugins_on_startup=read_flag(environ, "PLUGHOST_PLUGINS_ON_STARTUP"),
        install_timeout=_read_seconds(environ, "PLUGHOST_INSTALL_TIMEOUT"),
        host_version=environ.get("PLUGHOST_HOST_VERSION") or DEFAULT_HOST_VERSION,
        node_id=environ.get("PLUGHOST_NODE_ID") or None,
        plugins_enabled=read_flag(environ, "PLUGHOST_PLUGINS_ENABLED", default=True),
        plugin_load_timeout=_read_seconds(environ, "PLUGHOST_PLUGIN_LOAD_TIMEOUT", default=10.0),
        bench_floor=read_flag(environ, "PLUGHOST_BENCH_FLOOR"),
        install_python=_read_python(environ, "PLUGHOST_INSTALL_PYTHON"),
        task_workers=_read_count(
            environ, "PLUGHOST_TASK_WORKERS", DEFAULT_TASK_WORKERS, MAX_TASK_WORKERS
        ),
        task_timeout=_read_count(environ, "PLUGHOST_TASK_TIMEOUT", DEFAULT_TASK_TIMEOUT, 86400),
        schedule_interval=_read_seconds(
            environ, "PLUGHOST_SCHEDULE_INTERVAL", DEFAULT_SCHEDULE_INTERVAL
        ),
        email_url=environ.get("PLUGHOST_EMAIL_URL") or None,
        email_from=environ.get("PLUGHOST_EMAIL_FROM") or DEFAULT_EMAIL_FROM,
        max_request_bytes=_read_count(
            environ, "PLUGHOST_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 2**40
        ),
        auth_failure_limit=_read_count(
            environ, "PLUGHOST_AUTH_FAILURE_LIMIT", DEFAULT_AUTH_FAILURE_LIMIT, 10**6, minimum=0
        ),
        auth_failure_window=_read_seconds(
            environ, "PLUGHOST_AUTH_FAILURE_WINDOW", DEFAULT_AUTH_FAILURE_WINDOW
        ),
    )


def read_flag(environ: Mapping[str, str], name: str, *, default: bool = False) -> bool:
    """Return a boolean variable: 1/true/yes/on or 0/false/no/off (unset: ``default``)."""
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1 or 0 (or true/false, yes/no, on/off).")


def _read_seconds(
    environ: Mapping[str, str], name: str, default: float = DEFAULT_INSTALL_TIMEOUT
) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ImproperlyConfigured(f"{name}={raw!r}: give a positive number of seconds.")
    return seconds


def _read_python(environ: Mapping[str, str], name: str) -> str | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_absolute() or not path.is_file() or not os.access(path, os.X_OK):
        raise ImproperlyConfigured(
            f"{name}={raw!r}: give the absolute path of a Python interpreter."
        )
    return raw


def _read_count(
    environ: Mapping[str, str], name: str, default: int, maximum: int, *, minimum: int = 1
) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: give a whole number from {minimum} to {maximum}."
        )
    return int(raw)


def build_email(config: Config) -> dict[str, Any]:
    """Return Django's email settings for ``PLUGHOST_EMAIL_URL``.

    ``smtp://[user[:password]@]host[:port]`` (``smtp+tls://`` for STARTTLS, ``smtps://`` for
    TLS from the start), ``file:///folder`` (one file per message) or ``console:``; unset
    means the console (messages go to the log). Raises ``ImproperlyConfigured`` otherwise.
    """
    email: dict[str, Any] = {"DEFAULT_FROM_EMAIL": config.email_from, "EMAIL_TIMEOUT": 10}
    url = config.email_url
    parts = urlsplit(url or "console:")
    if parts.scheme == "console":
        return email | {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file" and parts.path:
        return email | {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if parts.scheme not in {"smtp", "smtp+tls", "smtps"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"PLUGHOST_EMAIL_URL={url!r}: use smtp://[user[:password]@]host[:port] "
            "(or smtp+tls://, smtps://), file:///folder or console:."
        )
    try:
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"PLUGHOST_EMAIL_URL has a bad port: {error}") from error
    return email | {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
    }


def _split(value: str, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(separator) if part.strip())


def build_database(config: Config) -> dict[str, Any]:
    """Return Django's ``DATABASES["default"]`` for the configuration."""
    if config.database_url is None:
        return {
            # Django's, with the writers of every worker queued on a file lock.
            "ENGINE": "plughost.db.backends.sqlite3",
            "NAME": str(config.sqlite_path),
            "CONN_MAX_AGE": CONNECTION_MAX_AGE_SECONDS,
            # Several gunicorn workers share the file: wait for locks, take the
            # write lock at BEGIN (no upgrade deadlocks), let readers run during writes.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    return parse_postgres_url(config.database_url)


def parse_postgres_url(url: str) -> dict[str, Any]:
    """Turn ``postgresql://user[:pw]@host:port/name`` into a Django database dict.

    Raises ``ImproperlyConfigured`` for any other form.
    """
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if parts.scheme not in {"postgresql", "postgres"} or not parts.hostname or not name:
        raise ImproperlyConfigured(
            f"PLUGHOST_DATABASE_URL={url!r}: use postgresql://user[:password]@host:port/name."
        )
    try:
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"PLUGHOST_DATABASE_URL has a bad port: {error}") from error
    return {
        # Django's, with a health check that needs no round trip on a quiet connection.
        "ENGINE": "plughost.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname,
        "PORT": str(port or 5432),
        "CONN_MAX_AGE": CONNECTION_MAX_AGE_SECONDS,
        "CONN_HEALTH_CHECKS": True,
        # Values travel apart from the statement (server-side binding), and a statement the
        # connection runs again is prepared: the server plans it once, and the client no
        # longer quotes values into the text. A write's statements are few and the same
        # each time; measured, this took a third off a setting write's CPU (client and
        # server). A connection pooler in transaction mode needs prepared-statement
        # support (PgBouncer 1.21+, max_prepared_statements).
        "OPTIONS": {"server_side_binding": True, "prepare_threshold": PREPARE_THRESHOLD},
        "TEST": {"NAME": f"test_{name}"},
    }


def load_secret_key(config: Config) -> str:
    """Return the configured key, else the one in the data dir, creating it (mode 0600) once."""
    if config.secret_key is not None:
        return config.secret_key
    path = config.data_dir / SECRET_KEY_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    return create_once(path, secrets.token_urlsafe(50))
