"""Reading the PLUGHOST_* environment."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from plughost.server.config import (
    TEST_POSTGRES_URL,
    build_database,
    load_secret_key,
    parse_postgres_url,
    read_config,
)


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    config = read_config({})

    assert config.data_dir == tmp_path / "data"
    assert config.database_url is None
    assert config.secret_key is None
    assert config.debug is False
    assert config.allowed_hosts == ("*",)
    assert config.plugin_dirs == ()
    assert config.sample_plugins is False
    assert config.plugin_noinstall is False
    assert config.plugins_on_startup is False
    assert config.install_timeout == 300.0
    assert config.host_version == "0.16.0"
    assert config.plugin_dir == tmp_path / "data" / "plugins"
    assert config.plugins_file == tmp_path / "data" / "plugins.txt"


def test_every_variable_is_read(tmp_path: Path) -> None:
    config = read_config(
        {
            "PLUGHOST_DATA_DIR": str(tmp_path),
            "PLUGHOST_DATABASE_URL": "postgresql://u@db:5433/x",
            "PLUGHOST_SECRET_KEY": "k",
            "PLUGHOST_DEBUG": "1",
            "PLUGHOST_ALLOWED_HOSTS": "a.example, b.example",
            "PLUGHOST_ADMIN_USER": "root",
            "PLUGHOST_ADMIN_PASSWORD": "pw",
            "PLUGHOST_PLUGIN_DIRS": f"{tmp_path}/one::{tmp_path}/two",
            "PLUGHOST_SAMPLE_PLUGINS": "true",
            "PLUGHOST_PLUGIN_NOINSTALL": "yes",
            "PLUGHOST_PLUGINS_ON_STARTUP": "on",
            "PLUGHOST_INSTALL_TIMEOUT": "12.5",
            "PLUGHOST_HOST_VERSION": "0.17.1",
        }
    )

    assert config.data_dir == tmp_path
    assert config.database_url == "postgresql://u@db:5433/x"
    assert config.secret_key == "k"
    assert config.debug is True
    assert config.allowed_hosts == ("a.example", "b.example")
    assert (config.admin_user, config.admin_password) == ("root", "pw")
    assert config.plugin_dirs == (tmp_path / "one", tmp_path / "two")
    assert config.sample_plugins is True
    assert config.plugin_noinstall is True
    assert config.plugins_on_startup is True
    assert config.install_timeout == 12.5
    assert config.host_version == "0.17.1"


def test_test_postgres_overrides_the_database_url() -> None:
    config = read_config(
        {"PLUGHOST_TEST_POSTGRES": "1", "PLUGHOST_DATABASE_URL": "postgresql://u@db/x"}
    )

    assert config.database_url == TEST_POSTGRES_URL


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PLUGHOST_DEBUG", "maybe"),
        ("PLUGHOST_INSTALL_TIMEOUT", "soon"),
        ("PLUGHOST_INSTALL_TIMEOUT", "0"),
        ("PLUGHOST_INSTALL_TIMEOUT", "nan"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=name):
        read_config({name: value})


def test_sqlite_in_the_data_dir_by_default(tmp_path: Path) -> None:
    database = build_database(read_config({"PLUGHOST_DATA_DIR": str(tmp_path)}))

    assert database["ENGINE"] == "plughost.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "plughost.sqlite3")


def test_postgres_url_is_split_into_django_fields() -> None:
    database = parse_postgres_url("postgresql://me:p%40ss@db.local:6543/inv")

    assert database["ENGINE"] == "plughost.db.backends.postgresql"
    assert (database["USER"], database["PASSWORD"]) == ("me", "p@ss")
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.local", "6543", "inv")
    assert database["TEST"] == {"NAME": "test_inv"}
    assert database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}


def test_postgres_port_defaults_to_5432() -> None:
    assert parse_postgres_url("postgresql://postgres@127.0.0.1/x")["PORT"] == "5432"


@pytest.mark.parametrize(
    "url", ["mysql://u@h/x", "postgresql://u@h/", "postgresql:///x", "postgresql://u@h:99999/x"]
)
def test_other_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="PLUGHOST_DATABASE_URL"):
        parse_postgres_url(url)


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    config = read_config({"PLUGHOST_DATA_DIR": str(tmp_path / "data")})

    first = load_secret_key(config)
    second = load_secret_key(config)

    path = tmp_path / "data" / "secret_key"
    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret_key"]


def test_configured_secret_key_writes_nothing(tmp_path: Path) -> None:
    config = read_config({"PLUGHOST_DATA_DIR": str(tmp_path), "PLUGHOST_SECRET_KEY": "given"})

    assert load_secret_key(config) == "given"
    assert list(tmp_path.iterdir()) == []
