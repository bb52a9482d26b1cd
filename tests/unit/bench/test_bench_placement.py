"""The benchmark finds which process serves a client's connection (to spread them out)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from benchmarks.servers import connection_owner


def test_the_process_holding_the_server_end_is_found() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        server_port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", server_port)) as client:
            served, _ = listener.accept()
            with served:
                client_port = client.getsockname()[1]
                other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
                try:
                    assert connection_owner(server_port, client_port, [other.pid]) is None
                    found = connection_owner(server_port, client_port, [other.pid, os.getpid()])
                    assert found == os.getpid()
                finally:
                    other.kill()
                    other.wait()


def test_an_unknown_connection_has_no_owner() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        free_port = listener.getsockname()[1]
    assert connection_owner(free_port, 1, [os.getpid()]) is None
