"""POST /api/plugins/reload/ and GET /api/plugins/status/."""

from __future__ import annotations

from pathlib import Path

import pytest

from plughost.runtime import holder
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")


def test_reload_echoes_the_flags_with_defaults(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post("/api/plugins/reload/")

    assert response.status_code == 201
    assert response.json() == {
        "full_reload": False,
        "force_reload": False,
        "collect_plugins": False,
    }


def test_reload_with_flags(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(
        "/api/plugins/reload/", {"full_reload": True, "collect_plugins": True, "x": 1}
    )

    assert response.json() == {"full_reload": True, "force_reload": False, "collect_plugins": True}


def test_reload_bad_flag_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post("/api/plugins/reload/", {"full_reload": "notabool"})

    assert response.status_code == 400
    assert response.json() == {"full_reload": ["Must be a valid boolean."]}


@pytest.mark.parametrize("method", ["get", "put"])
def test_reload_other_methods_are_405(api_client: ApiClientFactory, method: str) -> None:
    assert getattr(api_client("superuser"), method)("/api/plugins/reload/").status_code == 405


def test_collecting_reload_finds_a_dropped_in_plugin(
    api_client: ApiClientFactory, data_dir: Path
) -> None:
    plugin_dir = data_dir / "plugins"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "dropped.py").write_text(
        "from plughost import InvenTreePlugin\n\n"
        "class Dropped(InvenTreePlugin):\n    NAME = 'Dropped'\n",
        encoding="utf-8",
    )
    client = api_client("superuser")
    client.post("/api/plugins/reload/", {})
    assert client.get("/api/plugins/dropped/").status_code == 404

    client.post("/api/plugins/reload/", {"collect_plugins": True})

    body = client.get("/api/plugins/dropped/").json()
    assert (body["active"], body["is_installed"], body["meta"]["package_path"]) == (
        False,
        True,
        "plugins/dropped.py",
    )


def test_status_counts_active_configs_and_reports_errors(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").get("/api/plugins/status/")

    assert response.status_code == 200
    body = response.json()
    assert body["active_plugins"] == 3  # the builtins
    assert {"stage": "version", "name": "sampleversion"}.items() <= body["registry_errors"][
        0
    ].items()


def test_broken_plugins_are_reported_and_the_others_load(
    api_client: ApiClientFactory, data_dir: Path
) -> None:
    plugin_dir = data_dir / "plugins"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "broken_file.py").write_text("bb\n", encoding="utf-8")
    (plugin_dir / "broken_init.py").write_text(
        "from plughost import InvenTreePlugin\n\n"
        "class Broken(InvenTreePlugin):\n    NAME = 'BrokenInit'\n"
        "    def __init__(self):\n        raise KeyError('This is a dummy error')\n",
        encoding="utf-8",
    )
    (plugin_dir / "shadow.py").write_text(
        "from plughost import InvenTreePlugin\n\n"
        "class Shadow(InvenTreePlugin):\n    NAME = 'Shadow'\n    SLUG = 'sample'\n"
        "class Reserved(InvenTreePlugin):\n    NAME = 'status'\n",
        encoding="utf-8",
    )
    client = api_client("superuser")
    client.post("/api/plugins/reload/", {"collect_plugins": True})
    client.patch("/api/plugins/brokeninit/activate/", {})

    errors = client.get("/api/plugins/status/").json()["registry_errors"]
    by_name = {(e["stage"], e["name"]): e["message"] for e in errors}
    assert by_name[("discovery", "broken_file")] == "NameError: name 'bb' is not defined"
    assert by_name[("init", "brokeninit")] == "KeyError: 'This is a dummy error'"
    assert "already used by" in by_name[("validate", "sample")]
    assert "reserved" in by_name[("validate", "status")]
    assert holder.current().is_loaded("plughost")
    assert client.get("/api/plugins/sample/").json()["name"] == "SampleIntegrationPlugin"


def test_status_other_methods_are_405(api_client: ApiClientFactory) -> None:
    assert api_client("superuser").post("/api/plugins/status/").status_code == 405
