"""Who is asking: the user and address of a request, for the audit log."""

from __future__ import annotations

from rest_framework.request import Request

from plughost.services.audit import Actor


def actor_of(request: Request) -> Actor:
    """Return the request's user name and client address (``REMOTE_ADDR``, never a header)."""
    return Actor(
        username=str(getattr(request.user, "username", "") or ""),
        address=str(request.META.get("REMOTE_ADDR", "") or ""),
    )
