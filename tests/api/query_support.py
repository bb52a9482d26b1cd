"""Counting what a request asks the database (for tests of round trips saved)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def version_reads(send: Callable[[], Any]) -> list[str]:
    """Send one request (it must answer 200); return its reads of the stored versions."""
    with CaptureQueriesContext(connection) as queries:
        response = send()
    assert response.status_code == 200, response.content
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and "registrystate" in q["sql"]
    ]
