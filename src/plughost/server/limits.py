"""Limits every request meets before any view runs: body size, and failed authentications.

``RequestLimitsMiddleware`` refuses a body larger than ``PLUGHOST_MAX_REQUEST_BYTES`` from
its ``Content-Length`` alone (413), before anything reads or parses it, and a URL holding a
NUL character (400).

``AuthFailureLimitMiddleware`` counts failed authentications (a 401 answer to a request
that carried an ``Authorization`` header: a wrong password, an unknown or revoked token)
per client address and, for HTTP basic auth, per user name. After
``PLUGHOST_AUTH_FAILURE_LIMIT`` failures within ``PLUGHOST_AUTH_FAILURE_WINDOW`` seconds,
every request from that address, or naming that user, that carries credentials answers 429
with ``Retry-After`` until the oldest counted failure leaves the window; the credentials are
not even checked, so a correct password cannot be told from a wrong one meanwhile. A
successful basic login forgets its user name's failures. The counts live in each server
process's memory (a node with N workers allows up to N times the limit), which costs no
database work on any request; the address is the socket's (``REMOTE_ADDR``).
"""

from __future__ import annotations

import base64
import binascii
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

Handler = Callable[[HttpRequest], HttpResponseBase]

MAX_TRACKED_KEYS = 10_000
"""More distinct addresses and names than this within one window forget the oldest."""


class RequestLimitsMiddleware:
    """Answer 413 to a body over ``PLUGHOST_MAX_REQUEST_BYTES``, 400 to a NUL in the URL."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            # No key, setting or search term holds one, and PostgreSQL refuses to compare it.
            return JsonResponse({"detail": "The URL contains a NUL character (%00)."}, status=400)
        limit = int(settings.PLUGHOST_MAX_REQUEST_BYTES)
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return JsonResponse({"detail": f"Invalid Content-Length header: {raw!r}"}, status=400)
        if length > limit:
            return JsonResponse(
                {
                    "detail": f"Request body is too large ({length} bytes; "
                    f"this server accepts at most {limit})"
                },
                status=413,
            )
        return self.get_response(request)


class FailureCounter:
    """Failure times per key within a sliding window; thread-safe, bounded in size."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def blocked_for(self, keys: list[str], limit: int, window: float) -> float:
        """Return the seconds until every key is below ``limit`` again (0: not blocked)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now, window)
                if times is not None and len(times) >= limit:
                    wait = max(wait, times[len(times) - limit] + window - now)
        return wait

    def add(self, keys: list[str], window: float) -> None:
        """Record one failure for every key."""
        now = time.monotonic()
        with self._lock:
            if len(self._failures) >= MAX_TRACKED_KEYS:
                self._prune(now, window)
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def forget(self, key: str) -> None:
        """Drop a key's failures (after a successful login)."""
        with self._lock:
            self._failures.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._failures.clear()

    def _recent(self, key: str, now: float, window: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def _prune(self, now: float, window: float) -> None:
        for key in list(self._failures):
            self._recent(key, now, window)
        excess = len(self._failures) - MAX_TRACKED_KEYS // 2
        if excess > 0:
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1])[:excess]
            for key in oldest:
                del self._failures[key]


auth_failures = FailureCounter()


def _basic_username(header: str) -> str | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, separator, _ = decoded.partition(":")
    return username.lower() if separator else None


class AuthFailureLimitMiddleware:
    """Answer 429 to credentials from an address or for a user with too many failures."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = int(settings.PLUGHOST_AUTH_FAILURE_LIMIT)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if limit <= 0 or not header:
            return self.get_response(request)
        window = float(settings.PLUGHOST_AUTH_FAILURE_WINDOW)
        username = _basic_username(header)
        keys = [f"address:{request.META.get('REMOTE_ADDR', '')}"]
        if username is not None:
            keys.append(f"user:{username}")
        wait = auth_failures.blocked_for(keys, limit, window)
        if wait > 0:
            return _too_many(wait)
        response = self.get_response(request)
        if response.status_code == 401:
            auth_failures.add(keys, window)
        elif username is not None:
            auth_failures.forget(f"user:{username}")
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Answer a failed CSRF check with JSON, in DRF's words (Django's CSRF_FAILURE_VIEW)."""
    del request
    return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)


def _too_many(wait: float) -> HttpResponse:
    seconds = max(1, math.ceil(wait))
    response = JsonResponse(
        {"detail": f"Too many failed authentication attempts; try again in {seconds} seconds."},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
