"""Who may do what: every permission rule of the API lives here."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsSuperuser(BasePermission):
    """Superusers only: activate, edit, delete, install, uninstall, reload, status."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """Return whether the caller is an authenticated superuser."""
        user = request.user
        return bool(user and user.is_authenticated and user.is_superuser)


class IsStaff(BasePermission):
    """Staff (and superusers): plugin settings and metadata, read and write."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """Return whether the caller is authenticated staff or a superuser."""
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


class ReadAuthenticatedWriteSuperuser(BasePermission):
    """Any authenticated user may read; only superusers may change (plugin detail)."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def has_permission(self, request: Request, view: Any) -> bool:
        """Return whether the caller may use this method."""
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in self.SAFE or bool(user.is_superuser)
