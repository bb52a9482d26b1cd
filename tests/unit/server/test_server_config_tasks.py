"""The task worker's and the notification email's PLUGHOST_* variables."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from plughost.server.config import build_email, read_config


def test_task_defaults() -> None:
    config = read_config({})

    assert (config.task_workers, config.task_timeout, config.schedule_interval) == (2, 90, 10.0)
    assert (config.email_url, config.email_from) == (None, "plughost@localhost")


def test_task_variables_are_read() -> None:
    config = read_config(
        {
            "PLUGHOST_TASK_WORKERS": "4",
            "PLUGHOST_TASK_TIMEOUT": "30",
            "PLUGHOST_SCHEDULE_INTERVAL": "0.5",
            "PLUGHOST_EMAIL_FROM": "host@example.test",
        }
    )

    assert (config.task_workers, config.task_timeout, config.schedule_interval) == (4, 30, 0.5)
    assert config.email_from == "host@example.test"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PLUGHOST_TASK_WORKERS", "0"),
        ("PLUGHOST_TASK_WORKERS", "17"),
        ("PLUGHOST_TASK_WORKERS", "two"),
        ("PLUGHOST_TASK_TIMEOUT", "1.5"),
        ("PLUGHOST_TASK_TIMEOUT", "-3"),
        ("PLUGHOST_SCHEDULE_INTERVAL", "0"),
        ("PLUGHOST_SCHEDULE_INTERVAL", "soon"),
    ],
)
def test_bad_task_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=name):
        read_config({name: value})


def email(url: str | None) -> dict[str, object]:
    return build_email(read_config({} if url is None else {"PLUGHOST_EMAIL_URL": url}))


def test_email_goes_to_the_console_by_default() -> None:
    assert email(None) == {
        "DEFAULT_FROM_EMAIL": "plughost@localhost",
        "EMAIL_TIMEOUT": 10,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
    }
    assert email("console:")["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_smtp_urls() -> None:
    plain = email("smtp://mail.example.test")
    assert plain["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (plain["EMAIL_HOST"], plain["EMAIL_PORT"]) == ("mail.example.test", 25)
    assert (plain["EMAIL_USE_TLS"], plain["EMAIL_USE_SSL"]) == (False, False)

    tls = email("smtp+tls://me%40x:p%3Ass@mail.example.test:587")
    assert (tls["EMAIL_HOST_USER"], tls["EMAIL_HOST_PASSWORD"]) == ("me@x", "p:ss")
    assert (tls["EMAIL_PORT"], tls["EMAIL_USE_TLS"]) == (587, True)

    ssl = email("smtps://mail.example.test")
    assert (ssl["EMAIL_PORT"], ssl["EMAIL_USE_SSL"]) == (465, True)


def test_file_url_writes_messages_to_a_folder() -> None:
    assert email("file:///var/mail/plughost") == {
        "DEFAULT_FROM_EMAIL": "plughost@localhost",
        "EMAIL_TIMEOUT": 10,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/var/mail/plughost",
    }


@pytest.mark.parametrize("url", ["http://mail", "smtp://", "smtp://host:port", "file://", "mail"])
def test_bad_email_urls_are_refused(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="PLUGHOST_EMAIL_URL"):
        email(url)
