"""A tiny HTTP server on 127.0.0.1 that records requests (for outbound-call tests)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    """What the server saw, and how it should answer."""

    requests: list[dict[str, object]] = field(default_factory=list)
    delay: float = 0.0
    base_url: str = ""


@contextmanager
def loopback_api() -> Iterator[Recorded]:
    """Serve ``GET /api/users/<n>`` (JSON) and ``/missing`` (404) until the block ends."""
    recorded = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorded.requests.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
            )
            if recorded.delay:
                time.sleep(recorded.delay)
            status, body = (
                (200, {"data": {"id": 2, "first_name": "Janet"}})
                if self.path.startswith("/api/users/")
                else (404, {"error": "missing"})
            )
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recorded.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorded
    finally:
        server.shutdown()
        server.server_close()
