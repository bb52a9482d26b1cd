"""Users and API tokens, for the CLI. Call only after ``django.setup()``."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction

if TYPE_CHECKING:
    from django.contrib.auth.models import User

FIRST_ADMIN = "admin"


def _users() -> type[User]:
    return get_user_model()


@transaction.atomic
def ensure_admin() -> None:
    """Create or update the superuser from PLUGHOST_ADMIN_USER/PASSWORD.

    Without them, and only while no user exists at all, create ``admin`` with a
    random password and print it once. Raises ``CommandError`` if only one of
    the two variables is set.
    """
    name: str | None = settings.PLUGHOST_ADMIN_USER
    password: str | None = settings.PLUGHOST_ADMIN_PASSWORD
    if name and password:
        user, created = _users().objects.get_or_create(username=name)
        user.is_active = user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        print(f"{'Created' if created else 'Updated'} superuser {name!r}.")
    elif name or password:
        raise CommandError("Set both PLUGHOST_ADMIN_USER and PLUGHOST_ADMIN_PASSWORD, or neither.")
    elif not _users().objects.exists():
        password = secrets.token_urlsafe(16)
        _users().objects.create_superuser(FIRST_ADMIN, password=password)
        print(f"Created superuser {FIRST_ADMIN!r} with password {password!r}. It is shown once.")


def create_user(name: str, password: str, *, staff: bool, superuser: bool) -> User:
    """Create a user; raise ``CommandError`` if the name is taken."""
    users = _users()
    if users.objects.filter(username=name).exists():
        raise CommandError(f"User {name!r} exists already; pick another name.")
    return users.objects.create_user(
        name, password=password, is_staff=staff or superuser, is_superuser=superuser
    )


def get_or_create_token(name: str) -> str:
    """Return the API token key of user ``name``, creating the token if needed.

    Raises ``CommandError`` if there is no such user.
    """
    try:
        user = _users().objects.get(username=name)
    except _users().DoesNotExist as error:
        raise CommandError(f"No user {name!r}; create it with `plughost user create`.") from error
    token, _ = apps.get_model("authtoken", "Token").objects.get_or_create(user=user)
    return str(token.key)
