"""Token authentication with a short-lived in-process cache of token -> user.

DRF's ``TokenAuthentication`` runs one query per request (token joined to its user), the
largest fixed cost of every authenticated endpoint. Here a valid token's row and its user's row
are kept for ``CACHE_SECONDS``; each request gets fresh model instances built from them, so no
request sees another's changes to ``request.user``.

Any save or delete of a token or a user in this process (the admin, the CLI, a test, a cascade
from deleting a user) drops the cached entries at once through ``post_save`` and
``post_delete``. Other processes (the other gunicorn workers, other nodes) see such a change
within ``CACHE_SECONDS``, as do changes that send no signal (``QuerySet.update()``, raw SQL).
Failed look-ups are never cached. The answers, the ``WWW-Authenticate: Token`` header and the
401 bodies are DRF's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

CACHE_SECONDS = 2.0
"""How long another process's change to a token or user may go unnoticed here."""

MAX_ENTRIES = 1024
"""More distinct tokens than this within ``CACHE_SECONDS`` empty the cache (a bound, not LRU)."""


@dataclass(frozen=True)
class _Entry:
    token_values: tuple[Any, ...]
    user_values: tuple[Any, ...]
    user_id: Any
    expires: float


class TokenCache:
    """Token key -> the stored rows of the token and its user, each for a few seconds."""

    def __init__(self, seconds: float = CACHE_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        # Counts forgets: a look-up that started before one must not store what it read.
        self._generation = 0

    @property
    def generation(self) -> int:
        """Return a number that changes whenever an entry is forgotten."""
        return self._generation

    def find(self, key: str) -> tuple[AbstractBaseUser, Token] | None:
        """Return fresh instances of the cached user and token, or None (absent or expired)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= time.monotonic():
            return None
        user = _user_model().from_db(DEFAULT_DB_ALIAS, _user_fields(), entry.user_values)
        token = Token.from_db(DEFAULT_DB_ALIAS, _token_fields(), entry.token_values)
        token.user = user
        return user, token

    def store(self, key: str, user: AbstractBaseUser, token: Token, *, generation: int) -> None:
        """Remember a valid token and its user, read when ``generation`` was current.

        When a token or user changed since (the read may predate the change), store nothing.
        """
        entry = _Entry(
            token_values=tuple(getattr(token, name) for name in _token_fields()),
            user_values=tuple(getattr(user, name) for name in _user_fields()),
            user_id=user.pk,
            expires=time.monotonic() + self.seconds,
        )
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = entry

    def discard(self, key: str) -> None:
        """Forget one token."""
        with self._lock:
            self._generation += 1
            self._entries.pop(key, None)

    def discard_user(self, user_id: Any) -> None:
        """Forget every token of one user."""
        with self._lock:
            self._generation += 1
            for key in [k for k, e in self._entries.items() if e.user_id == user_id]:
                del self._entries[key]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._generation += 1
            self._entries.clear()


def _user_model() -> type[AbstractBaseUser]:
    return get_user_model()


def _user_fields() -> tuple[str, ...]:
    return tuple(field.attname for field in _user_model()._meta.concrete_fields)


def _token_fields() -> tuple[str, ...]:
    return tuple(field.attname for field in Token._meta.concrete_fields)


token_cache = TokenCache()


class CachedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, answering repeated tokens from ``token_cache``."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        """Return ``(user, token)``; raise ``AuthenticationFailed`` as DRF does."""
        cached = token_cache.find(key)
        if cached is not None:
            return cached
        generation = token_cache.generation
        user, token = super().authenticate_credentials(key)
        token_cache.store(key, user, token, generation=generation)
        return user, token


def _token_changed(sender: type[Model], instance: Token, **kwargs: Any) -> None:
    token_cache.discard(str(instance.key))


def _user_changed(sender: type[Model], instance: AbstractBaseUser, **kwargs: Any) -> None:
    token_cache.discard_user(instance.pk)


post_save.connect(_token_changed, sender=Token, dispatch_uid="plughost-token-cache-save")
post_delete.connect(_token_changed, sender=Token, dispatch_uid="plughost-token-cache-delete")
post_save.connect(_user_changed, sender=get_user_model(), dispatch_uid="plughost-user-cache-save")
post_delete.connect(
    _user_changed, sender=get_user_model(), dispatch_uid="plughost-user-cache-delete"
)
