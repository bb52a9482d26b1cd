"""The CLI's user and token commands, and the admin user `serve` ensures."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from pytest_django import Settings
from rest_framework.authtoken.models import Token

from plughost.cli.accounts import ensure_admin
from plughost.cli.main import main

pytestmark = pytest.mark.django_db


def test_admin_from_environment_is_created(settings: Settings) -> None:
    settings.PLUGHOST_ADMIN_USER = "boss"
    settings.PLUGHOST_ADMIN_PASSWORD = "pw-1"

    ensure_admin()

    boss = User.objects.get(username="boss")
    assert (boss.is_superuser, boss.is_staff, boss.is_active) == (True, True, True)
    assert boss.check_password("pw-1")


def test_admin_from_environment_is_updated(settings: Settings) -> None:
    User.objects.create_user("boss", password="old", is_active=False)
    settings.PLUGHOST_ADMIN_USER = "boss"
    settings.PLUGHOST_ADMIN_PASSWORD = "new"

    ensure_admin()

    boss = User.objects.get(username="boss")
    assert (boss.is_superuser, boss.is_active) == (True, True)
    assert boss.check_password("new")


def test_half_an_admin_configuration_is_refused(settings: Settings) -> None:
    settings.PLUGHOST_ADMIN_USER = "boss"
    settings.PLUGHOST_ADMIN_PASSWORD = None

    with pytest.raises(CommandError, match="PLUGHOST_ADMIN_PASSWORD"):
        ensure_admin()


def test_first_start_creates_admin_and_prints_its_password(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.PLUGHOST_ADMIN_USER = settings.PLUGHOST_ADMIN_PASSWORD = None

    ensure_admin()

    password = capsys.readouterr().out.split("password '")[1].split("'")[0]
    assert User.objects.get(username="admin").check_password(password)


def test_later_starts_create_no_admin(settings: Settings) -> None:
    settings.PLUGHOST_ADMIN_USER = settings.PLUGHOST_ADMIN_PASSWORD = None
    User.objects.create_user("someone")

    ensure_admin()

    assert list(User.objects.values_list("username", flat=True)) == ["someone"]


def test_user_create_makes_a_staff_user(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "create", "ann", "--password", "pw", "--staff"]) == 0

    ann = User.objects.get(username="ann")
    assert (ann.is_staff, ann.is_superuser) == (True, False)
    assert ann.check_password("pw")
    assert capsys.readouterr().out == "Created user 'ann'.\n"


def test_user_create_superuser_is_staff_too() -> None:
    assert main(["user", "create", "root", "--password", "pw", "--superuser"]) == 0

    root = User.objects.get(username="root")
    assert (root.is_staff, root.is_superuser) == (True, True)


def test_user_create_refuses_a_taken_name(capsys: pytest.CaptureFixture[str]) -> None:
    User.objects.create_user("ann")

    assert main(["user", "create", "ann", "--password", "pw"]) == 1

    assert "User 'ann' exists already" in capsys.readouterr().err


def test_token_create_prints_the_same_key_each_time(capsys: pytest.CaptureFixture[str]) -> None:
    ann = User.objects.create_user("ann")

    assert main(["token", "create", "ann"]) == 0
    assert main(["token", "create", "ann"]) == 0

    first, second = capsys.readouterr().out.split()
    assert first == second == Token.objects.get(user=ann).key


def test_token_create_for_unknown_user_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "nobody"]) == 1

    assert "No user 'nobody'" in capsys.readouterr().err
