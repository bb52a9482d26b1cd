"""Load, concurrency and crashes against real servers with two workers.

* Concurrent PATCHes of different settings and of one setting: none lost, the last writer
  wins, no 5xx; activations and reloads while clients read: no 404 or 5xx for plugins that
  exist throughout.
* A soak of mixed traffic from 16 clients (``PLUGHOST_SOAK_SECONDS``, 8 by default): zero
  errors, and the workers' memory stays flat.
* SIGKILL of the whole server during setting writes and activations: after a restart each
  setting holds a value that was written whole, and a plugin is loaded exactly when it is
  stored as active.
"""

from __future__ import annotations

import os
import random
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.e2e.agreement import token_of, wait_for_agreement
from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import Server, kill_server

CLIENTS = 16
KEYS = [f"S{n}" for n in range(8)]
SOAK_SECONDS = float(os.environ.get("PLUGHOST_SOAK_SECONDS", "8"))
RSS_GROWTH_LIMIT_KB = 64 * 1024
AGREEMENT_SECONDS = 5.0
"""How long both workers may take to show the last writes (a SQLite watcher polls at 250 ms)."""
PLUGIN = f"""
    from django.http import JsonResponse
    from django.urls import path
    from plugin import InvenTreePlugin
    from plugin.mixins import SettingsMixin, UrlsMixin

    class Load(SettingsMixin, UrlsMixin, InvenTreePlugin):
        NAME = "Load"
        SLUG = "load"
        SETTINGS = {{key: {{"name": key, "default": ""}} for key in {[*KEYS, "SHARED"]!r}}}

        def setup_urls(self):
            return [path("ping/", lambda request: JsonResponse({{"pong": True}}))]

    class Other(InvenTreePlugin):
        NAME = "Other"
        SLUG = "other"
    """


def plugin_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "load-plugins"
    folder.mkdir()
    (folder / "load.py").write_text(textwrap.dedent(PLUGIN))
    return folder


def start(server_factory: ServerFactory, folder: Path, **kwargs: object) -> Server:
    return server_factory(env={"PLUGHOST_PLUGIN_DIRS": str(folder)}, workers=2, **kwargs)


class Api:
    """A superuser's token session; records every answer that is not the expected one."""

    def __init__(self, server: Server, token: str | None = None) -> None:
        self.server = server
        self.headers = {"Authorization": f"Token {token or token_of(server)}"}
        self.sent = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def call(self, method: str, path: str, body: object = None, ok: int = 200) -> requests.Response:
        response = requests.request(
            method, self.server.url(path), json=body, headers=self.headers, timeout=60
        )
        with self._lock:
            self.sent += 1
            if response.status_code != ok:
                self.errors.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def setting(self, key: str) -> str:
        value: str = self.call("GET", f"/api/plugins/load/settings/{key}/").json()["value"]
        return value


def run_clients(count: int, work: Callable[[int], None]) -> None:
    with ThreadPoolExecutor(count) as pool:
        for future in [pool.submit(work, number) for number in range(count)]:
            future.result()


def test_concurrent_writes_lose_nothing_and_readers_never_fail(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    api = Api(start(server_factory, plugin_folder(tmp_path)))
    api.call("PATCH", "/api/plugins/load/activate/", {"active": True})

    def write_own(number: int) -> None:
        key = KEYS[number % len(KEYS)]
        for round_ in range(6):
            api.call(
                "PATCH", f"/api/plugins/load/settings/{key}/", {"value": f"v{number}-{round_}"}
            )

    run_clients(len(KEYS), write_own)
    # A read may reach either worker; one that served none of a key's last writes shows
    # them once its watcher has looked (SQLite: every 250 ms). Read until both agree.
    final = {key: f"v{n}-5" for n, key in enumerate(KEYS)}
    assert (
        wait_for_agreement(
            [api.server],
            lambda _: {key: api.setting(key) for key in KEYS} == final,
            samples=4,
            timeout=AGREEMENT_SECONDS,
        )
        < AGREEMENT_SECONDS
    )

    written = [f"w{number}" for number in range(CLIENTS)]
    run_clients(
        CLIENTS,
        lambda n: api.call("PATCH", "/api/plugins/load/settings/SHARED/", {"value": written[n]}),
    )
    assert (
        wait_for_agreement(
            [api.server],
            lambda _: api.setting("SHARED") in written,
            samples=4,
            timeout=AGREEMENT_SECONDS,
        )
        < AGREEMENT_SECONDS
    )

    stop = threading.Event()

    def read(number: int) -> None:
        while not stop.is_set():
            for path in ("/api/plugins/load/", "/api/plugins/?limit=50", "/plugin/load/ping/"):
                api.call("GET", path)

    def change(number: int) -> None:
        for round_ in range(4):
            active = round_ % 2 == 0
            api.call("PATCH", "/api/plugins/other/activate/", {"active": active})
            api.call("POST", "/api/plugins/reload/", {"collect_plugins": round_ == 3}, ok=201)
        stop.set()

    run_clients(9, lambda n: change(n) if n == 0 else read(n))
    assert api.errors == [], api.errors[:10]
    print(f"concurrency: {api.sent} requests, {len(api.errors)} errors")


def worker_rss_kb(server: Server) -> dict[int, int]:
    """Return the resident memory of each of the server's worker processes."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    rss = {}
    for pid in map(int, children):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    return rss


@pytest.mark.soak
def test_soak_of_mixed_traffic_has_no_errors_and_flat_memory(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = start(server_factory, plugin_folder(tmp_path))
    api = Api(server)
    api.call("PATCH", "/api/plugins/load/activate/", {"active": True})
    warm = time.monotonic() + 2
    while time.monotonic() < warm:  # both workers load the registry before measuring
        api.call("GET", "/api/plugins/?limit=50")
    before = worker_rss_kb(server)
    deadline = time.monotonic() + SOAK_SECONDS
    counts: Counter[str] = Counter()

    def client(number: int) -> None:
        rng = random.Random(number)
        while time.monotonic() < deadline:
            choice = rng.randrange(6)
            counts[str(choice)] += 1
            if choice == 0:
                api.call("GET", "/api/plugins/?limit=20&ordering=-key")
            elif choice == 1:
                api.call("GET", "/api/plugins/load/settings/")
            elif choice == 2:
                key = KEYS[rng.randrange(len(KEYS))]
                api.call("PATCH", f"/api/plugins/load/settings/{key}/", {"value": str(number)})
            elif choice == 3:
                api.call("GET", "/plugin/load/ping/")
            elif choice == 4:
                api.call("GET", "/api/plugins/status/")
            else:
                api.call("PATCH", "/api/plugins/load/metadata/", {"metadata": {"n": number}})

    run_clients(CLIENTS, client)
    after = worker_rss_kb(server)

    print(f"soak: {api.sent} requests in {SOAK_SECONDS:g} s, {len(api.errors)} errors")
    print(f"soak: worker RSS (KiB) {before} -> {after}")
    assert api.errors == [], api.errors[:10]
    assert set(after) == set(before)  # no worker died and was replaced
    for pid, kb in after.items():
        assert kb - before[pid] < RSS_GROWTH_LIMIT_KB, (pid, before[pid], kb)


def test_sigkill_during_writes_and_activations_leaves_consistent_state(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    folder = plugin_folder(tmp_path)
    server = start(server_factory, folder)
    token = token_of(server)
    api = Api(server, token)
    api.call("PATCH", "/api/plugins/load/activate/", {"active": True})
    written: dict[str, set[str]] = {key: {""} for key in KEYS}
    stop = threading.Event()

    def write(number: int) -> None:
        key = KEYS[number]
        round_ = 0
        while not stop.is_set():
            value = f"{number}-{round_}-" + "x" * 2000
            written[key].add(value)
            try:
                requests.patch(
                    server.url(f"/api/plugins/load/settings/{key}/"),
                    json={"value": value},
                    headers=api.headers,
                    timeout=10,
                )
            except requests.RequestException:
                return  # the server is gone
            round_ += 1

    def toggle(number: int) -> None:
        active = False
        while not stop.is_set():
            try:
                requests.patch(
                    server.url("/api/plugins/other/activate/"),
                    json={"active": active},
                    headers=api.headers,
                    timeout=10,
                )
            except requests.RequestException:
                return
            active = not active

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(KEYS))]
    threads.append(threading.Thread(target=toggle, args=(0,)))
    for thread in threads:
        thread.start()
    time.sleep(2.5)
    kill_server(server)
    stop.set()
    for thread in threads:
        thread.join(30)

    again = server_factory(
        data_dir=server.data_dir,
        database_url=server.database_url,
        env={"PLUGHOST_PLUGIN_DIRS": str(folder)},
        workers=2,
    )
    api = Api(again, token)
    for key in KEYS:
        assert api.setting(key) in written[key], key  # whole, and one that was sent
    other = api.call("GET", "/api/plugins/other/").json()
    listed = [p["slug"] for p in api.call("GET", "/api/").json()["active_plugins"]]
    assert other["active"] == ("other" in listed)
    assert api.call("GET", "/plugin/load/ping/").json() == {"pong": True}
    assert api.errors == [], api.errors
