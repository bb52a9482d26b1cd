"""A real server with a folder of hostile plugins keeps serving the others.

The plugins raise or hang at import, in ``__init__`` and in ``ready()``, call ``sys.exit``,
declare malformed settings, claim a key twice or shadow a builtin's key, raise in a setting
validator and in a URL view. Each failure is in ``status/`` with its stage; the good
plugin, the builtins and the API answer throughout. The server log and every answer are
then searched for the protected setting's value, the token and the admin password.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import requests

from tests.e2e.agreement import token_of
from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import ADMIN_PASSWORD

SECRET = "s3cret-value-that-must-never-show"
PLUGINS = {
    "raise_import.py": "raise RuntimeError('boom at import')\n",
    "exit_import.py": "import sys\nsys.exit(3)\n",
    "hang_import.py": "import time\ntime.sleep(3600)\n",
    "raise_init.py": """
        from plugin import InvenTreePlugin

        class RaiseInit(InvenTreePlugin):
            NAME = "RaiseInit"
            SLUG = "raiseinit"

            def __init__(self):
                raise RuntimeError("boom in __init__")
        """,
    "raise_ready.py": """
        from plugin import InvenTreePlugin

        class RaiseReady(InvenTreePlugin):
            NAME = "RaiseReady"
            SLUG = "raiseready"

            def ready(self):
                raise RuntimeError("boom in ready")
        """,
    "hang_ready.py": """
        import time
        from plugin import InvenTreePlugin

        class HangReady(InvenTreePlugin):
            NAME = "HangReady"
            SLUG = "hangready"

            def ready(self):
                time.sleep(3600)
        """,
    "bad_settings.py": """
        from plugin import InvenTreePlugin
        from plugin.mixins import SettingsMixin

        class BadSettings(SettingsMixin, InvenTreePlugin):
            NAME = "BadSettings"
            SLUG = "badsettings"
            SETTINGS = {"X": "not a definition"}
        """,
    "twins.py": """
        from plugin import InvenTreePlugin

        class First(InvenTreePlugin):
            NAME = "First"
            SLUG = "twin"

        class Second(InvenTreePlugin):
            NAME = "Second"
            SLUG = "twin"
        """,
    "shadow.py": """
        from plugin import InvenTreePlugin

        class Shadow(InvenTreePlugin):
            NAME = "Shadow"
            SLUG = "plughostinfo"
        """,
    "good.py": f"""
        from django.http import JsonResponse
        from django.urls import path
        from plugin import InvenTreePlugin
        from plugin.mixins import SettingsMixin, UrlsMixin

        def refuse(value):
            raise TypeError("validator bug")

        class Good(SettingsMixin, UrlsMixin, InvenTreePlugin):
            NAME = "Good"
            SLUG = "good"
            SETTINGS = {{
                "API_KEY": {{"name": "Key", "protected": True, "default": ""}},
                "CHECKED": {{"name": "Checked", "default": "", "validator": refuse}},
            }}

            def setup_urls(self):
                return [path("ok/", self.ok), path("boom/", self.boom)]

            def ok(self, request):
                return JsonResponse({{"ok": True}})

            def boom(self, request):
                raise RuntimeError("view bug {SECRET}")
        """,
}
# key or module -> the stage its failure must be reported at
EXPECTED_STAGES = {
    "raise_import": "discovery",
    "exit_import": "discovery",
    "hang_import": "discovery",
    "raiseinit": "init",
    "raiseready": "ready",
    "hangready": "ready",
    "badsettings": "validate",
    "twin": "validate",
    "plughostinfo": "validate",
}


def write_plugins(folder: Path) -> None:
    folder.mkdir(parents=True)
    for name, source in PLUGINS.items():
        (folder / name).write_text(textwrap.dedent(source))


def test_hostile_plugins_are_reported_and_the_rest_serves(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "hostile"
    write_plugins(folder)
    server = server_factory(
        env={"PLUGHOST_PLUGIN_DIRS": str(folder), "PLUGHOST_PLUGIN_LOAD_TIMEOUT": "2"}
    )
    token = token_of(server)
    headers = {"Authorization": f"Token {token}"}
    answers: list[str] = []

    def call(method: str, path: str, body: object = None) -> requests.Response:
        response = requests.request(
            method, server.url(path), json=body, headers=headers, timeout=60
        )
        answers.append(response.text)
        return response

    for key in ("raiseinit", "raiseready", "hangready", "good"):
        assert call("PATCH", f"/api/plugins/{key}/activate/", {"active": True}).status_code == 200

    status = call("GET", "/api/plugins/status/").json()
    stages = {
        error["name"].rsplit(".", 1)[-1]: error["stage"] for error in status["registry_errors"]
    }
    for name, stage in EXPECTED_STAGES.items():
        assert stages.get(name) == stage, (name, status["registry_errors"])
    # The host and the good plugin serve.
    assert call("GET", "/plugin/good/ok/").json() == {"ok": True}
    assert call("GET", "/plugin/plughostinfo/health/").json()["status"] == "ok"
    assert call("GET", "/api/plugins/?limit=100").status_code == 200
    # A plugin's failing view is its own 502, naming it; the next request is fine.
    boom = call("GET", "/plugin/good/boom/")
    assert boom.status_code == 502
    assert boom.json()["detail"].startswith("Plugin 'good' failed")
    assert call("GET", "/plugin/good/ok/").status_code == 200
    # status/ names the view's failure with its stage, without the message (it is logged);
    # it reads failures at most once a second.
    time.sleep(1.1)
    runtime = call("GET", "/api/plugins/status/").json()["runtime_errors"]
    assert [(e["stage"], e["name"], e["count"]) for e in runtime] == [("url", "good", 1)]
    assert runtime[0]["message"] == "RuntimeError in its view of /plugin/good/boom/"
    # A validator that raises refuses the value (400), it does not fail the request.
    checked = call("PATCH", "/api/plugins/good/settings/CHECKED/", {"value": "x"})
    assert checked.status_code == 400, checked.text
    # A protected value is stored and never shown.
    written = call("PATCH", "/api/plugins/good/settings/API_KEY/", {"value": SECRET})
    assert written.status_code == 200
    assert written.json()["value"] == "***"
    for path in (
        "/api/plugins/good/settings/",
        "/api/plugins/good/settings/API_KEY/",
        "/api/plugins/settings/?limit=500",
        "/api/plugins/audit/",
        "/api/plugins/good/",
    ):
        assert call("GET", path).status_code == 200
    # The other plugins' failures do not stop a reload either.
    assert call("POST", "/api/plugins/reload/", {"collect_plugins": True}).status_code == 201
    assert call("GET", "/plugin/good/ok/").status_code == 200

    time.sleep(0.5)  # let the access log lines land
    log = server.log_path.read_text(errors="replace")
    assert "view bug" in log  # the view's failure is logged...
    for secret in (SECRET, token, ADMIN_PASSWORD):
        assert secret not in log.replace(f"view bug {SECRET}", "view bug"), secret
        assert not [answer for answer in answers if secret in answer and secret != token], secret
