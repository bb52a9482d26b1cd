"""Events, schedules and notifications on a real server with real ``plughost worker``s.

Each test starts a server (SQLite, or a fresh PostgreSQL database with
``PLUGHOST_TEST_POSTGRES=1``) with the samples and the worker fixture plugins, and one or
two workers beside it. Waits are bounded; each test takes about 10-25 seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import (
    ADMIN_USER,
    Server,
    plughost_command,
    postgres_database,
    run_server,
    server_environment,
    use_postgres,
)
from tests.e2e.workers import Worker, run_worker
from tests.fixtures.receivers import SmtpReceiver, Webhook

FIXTURE_PLUGINS = Path(__file__).parents[1] / "fixtures" / "worker_plugins"
WAIT_SECONDS = 25.0
T = TypeVar("T")


@pytest.fixture
def plugin_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "worker_plugins"
    shutil.copytree(FIXTURE_PLUGINS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture
def environment(plugin_folder: Path) -> dict[str, str]:
    """What both the server and its workers run with."""
    return {
        "PLUGHOST_SAMPLE_PLUGINS": "1",
        "PLUGHOST_PLUGIN_DIRS": str(plugin_folder),
        "PLUGHOST_SCHEDULE_INTERVAL": "1",
        "PLUGHOST_TASK_TIMEOUT": "3",
        "PLUGHOST_TASK_WORKERS": "2",
    }


@pytest.fixture
def workers(environment: dict[str, str]) -> Iterator[Callable[[Server, int], list[Worker]]]:
    """Return ``start(server, count)``: that many workers beside ``server``."""
    with ExitStack() as stack:

        def start(server: Server, count: int) -> list[Worker]:
            return [
                stack.enter_context(run_worker(server, environment, f"{server.base_url[-5:]}-{n}"))
                for n in range(count)
            ]

        yield start


def wait_for(what: str, probe: Callable[[], T | None], seconds: float = WAIT_SECONDS) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.3)


def api(server: Server, method: str, path: str, json: Any = None) -> Any:
    response = requests.request(
        method, server.url(path), json=json, auth=server.admin_auth, timeout=30
    )
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def activate(server: Server, *keys: str) -> None:
    for key in keys:
        assert api(server, "PATCH", f"/api/plugins/{key}/activate/", {"active": True}) == {
            "active": True
        }


def metadata(server: Server, key: str) -> dict[str, Any]:
    body: dict[str, Any] = api(server, "GET", f"/api/plugins/{key}/metadata/")["metadata"]
    return body


def received(server: Server, key: str, *names: str) -> list[tuple[str, Any]]:
    """The events (of ``names``) that plugin ``key`` recorded, in order."""
    return [
        (entry["event"], entry["data"])
        for entry in metadata(server, key).get("events", [])
        if entry["event"] in names
    ]


def test_events_reach_active_plugins_that_want_them(
    server_factory: ServerFactory, environment: dict[str, str], workers: Any
) -> None:
    server = server_factory(env=environment)
    activate(server, "sampleevent", "filteredsampleevent", "failingevent", "slowevent")
    workers(server, 1)

    first = api(server, "POST", "/api/plugins/events/", {"event": "other.event", "data": {"n": 1}})
    api(server, "POST", "/api/plugins/events/", {"event": "test.event", "data": {"n": 2}})

    assert first["plugins"] == ["sampleevent", "filteredsampleevent", "failingevent", "slowevent"]
    started = time.monotonic()
    both = [("other.event", {"n": 1}), ("test.event", {"n": 2})]
    wait_for("sampleevent", lambda: received(server, "sampleevent", *dict(both)) == both)
    # Neither the failing plugin nor the slow one (2 s per event) held it up much.
    assert time.monotonic() - started < 12
    # The host's own events arrived too (emitted while no worker ran: they were queued).
    activations = received(server, "sampleevent", "plugin.activated")
    assert ("plugin.activated", {"key": "slowevent"}) in activations
    wait_for(
        "filteredsampleevent",
        lambda: received(server, "filteredsampleevent", "test.event", "other.event"),
    )
    assert received(server, "filteredsampleevent", "test.event", "other.event") == [
        ("test.event", {"n": 2})
    ]

    # Deactivated, a plugin gets nothing more.
    assert api(server, "PATCH", "/api/plugins/sampleevent/activate/", {"active": False})
    third = api(server, "POST", "/api/plugins/events/", {"event": "test.event", "data": {"n": 3}})
    assert "sampleevent" not in third["plugins"]
    wait_for(
        "the third event",
        lambda: len(received(server, "filteredsampleevent", "test.event")) == 2,
    )
    assert received(server, "sampleevent", "test.event", "other.event") == both

    def counts() -> dict[str, Any] | None:
        stats = {s["key"]: s for s in api(server, "GET", "/api/plugins/events/")["results"]}
        slow = stats.get("slowevent", {})
        return stats if slow.get("delivered", 0) >= 3 else None

    stats = wait_for("the slow plugin to catch up", counts)
    assert stats["failingevent"]["failed"] >= 3
    assert stats["failingevent"]["delivered"] == 0
    assert "failingevent cannot handle" in stats["failingevent"]["last_error"]
    assert stats["filteredsampleevent"]["failed"] == 0
    # status/ names the handler's failures with their stage, as it does load failures.
    runtime = api(server, "GET", "/api/plugins/status/")["runtime_errors"]
    failing = [e for e in runtime if e["name"] == "failingevent"]
    assert [(e["stage"], e["count"] >= 3) for e in failing] == [("event", True)]
    assert "failingevent cannot handle" in failing[0]["message"]
    assert [e["name"] for e in runtime] == ["failingevent"]  # the others never failed


def test_each_task_runs_once_with_two_workers_and_failures_are_recorded(
    server_factory: ServerFactory, environment: dict[str, str], workers: Any
) -> None:
    server = server_factory(env=environment)
    activate(server, "schedule", "taskfixture")  # new schedules are due at once
    workers(server, 2)

    def tasks() -> dict[str, Any]:
        return {t["name"]: t for t in api(server, "GET", "/api/plugins/tasks/")["results"]}

    expected = {
        "plugin.schedule.hello",
        "plugin.schedule.member",
        "plugin.schedule.world",
        "plugin.taskfixture.fails",
        "plugin.taskfixture.ok",
        "plugin.taskfixture.overruns",
    }
    assert set(tasks()) == expected

    def all_ran() -> bool:
        return all(task["last_run"] for task in tasks().values())

    wait_for("every task's first run", all_ran)
    time.sleep(4)  # both schedulers look every second: time enough for a second run
    found = tasks()

    assert {name: task["runs"] for name, task in found.items()} == dict.fromkeys(expected, 1)
    assert found["plugin.schedule.hello"]["last_run"]["result"] == "Hello"
    assert found["plugin.schedule.member"]["last_run"]["result"] is False
    assert found["plugin.taskfixture.ok"]["last_run"]["success"] is True
    failed = found["plugin.taskfixture.fails"]["last_run"]
    assert failed["success"] is False
    assert "this task always fails" in failed["error"]
    overran = found["plugin.taskfixture.overruns"]["last_run"]
    assert overran["success"] is False
    assert "Task exceeded maximum timeout value (3 seconds)" in overran["error"]
    assert overran["duration"] < 10
    assert metadata(server, "schedule")["runs"] == {"member": 1}
    assert metadata(server, "taskfixture")["runs"] == {"ok": 1}


def test_plugin_errors_are_notified_by_email_and_webhook(
    server_factory: ServerFactory, environment: dict[str, str], plugin_folder: Path
) -> None:
    with SmtpReceiver() as smtp, Webhook() as webhook:
        env = {**environment, "PLUGHOST_EMAIL_URL": smtp.url}
        server = server_factory(env=env)
        give_admin_an_email(server, env)
        core = "/api/plugins/inventreecorenotificationsplugin/settings"
        api(server, "PATCH", f"{core}/ENABLE_NOTIFICATION_EMAILS/", {"value": True})
        api(server, "PATCH", f"{core}/ENABLE_NOTIFICATION_SLACK/", {"value": True})
        api(server, "PATCH", f"{core}/NOTIFICATION_SLACK_URL/", {"value": webhook.url})
        activate(server, "notifyfixture")
        with run_worker(server, env, "notify"):
            (plugin_folder / "FAIL_TO_LOAD").touch()
            activate(server, "taskfixture")  # its ready() raises: a new plugin error

            wait_for("the email", lambda: smtp.messages)
            wait_for("the webhook", lambda: webhook.bodies)
            wait_for("the notification plugin", lambda: metadata(server, "notifyfixture"))

    [(recipients, message)] = smtp.messages
    assert recipients == ["admin@example.test"]
    assert message["Subject"] == "[plughost] Plugin 'taskfixture' failed to load"
    assert "taskfixture was told to fail to load" in message.get_payload()
    [body] = webhook.bodies
    assert body["text"].startswith("*Plugin 'taskfixture' failed to load*\n")
    [entry] = metadata(server, "notifyfixture")["events"]
    assert entry["event"] == "Plugin 'taskfixture' failed to load"
    assert entry["data"]["plugin"] == "taskfixture"


def give_admin_an_email(server: Server, env: dict[str, str]) -> None:
    code = (
        "from django.contrib.auth.models import User; "
        f"User.objects.filter(username={ADMIN_USER!r}).update(email='admin@example.test')"
    )
    subprocess.run(
        [*plughost_command(), "manage", "shell", "-c", code],
        env=server_environment(server.data_dir, server.database_url, env),
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_serve_with_worker_runs_tasks_and_stops_its_worker(
    tmp_path: Path, environment: dict[str, str]
) -> None:
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database()) if use_postgres() else None
        server = stack.enter_context(
            run_server(data_dir, database_url=database_url, env=environment, args=["--with-worker"])
        )
        activate(server, "schedule")

        def member_ran() -> Any:
            listed = api(server, "GET", "/api/plugins/tasks/?plugin=schedule")["results"]
            return {task["task"]: task for task in listed}["member"]["last_run"]

        assert wait_for("the member task", member_ran)["success"] is True
        assert worker_processes(data_dir)
    # The server stopped: its worker, and the worker's cluster, stopped with it.
    wait_for("the worker to stop", lambda: not worker_processes(data_dir), seconds=15)


def worker_processes(data_dir: Path) -> list[int]:
    """Return the pids of processes running with ``data_dir`` as their data dir, but gunicorn."""
    marker = f"PLUGHOST_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in environ and b"worker" in command and b"gunicorn" not in command:
            found.append(int(entry.name))
    return found
