"""Real uninstalls through PUT/PATCH /api/plugins/{key}/uninstall/, after real installs.

The packages come from the session's loopback index and go into a throwaway venv
(``plugin_env``, tests/api/conftest.py), as in test_install_packages.py.
"""

from __future__ import annotations

from pathlib import Path

from pytest_django import Settings

from plughost.db.models import PluginConfig, PluginPackage, PluginSetting
from plughost.runtime import holder
from tests.api.install_support import (
    FAST,
    GOOD,
    GOOD_KEY,
    PluginEnv,
    install,
)
from tests.conftest import ApiClientFactory
from tests.fixtures.index_server import PackageIndex

# --- uninstall ------------------------------------------------------------------------------


def test_uninstall_removes_the_package_its_line_and_its_config(
    api_client: ApiClientFactory,
    plugin_env: PluginEnv,
    package_index: PackageIndex,
    settings: Settings,
) -> None:
    assert install(api_client, package_index, GOOD, "1.0.0", **FAST)["status"] == 201
    admin = api_client("superuser")
    admin.patch(f"/api/plugins/{GOOD_KEY}/metadata/", {"metadata": {"a": 1}}, format="json")
    assert admin.patch(f"/api/plugins/{GOOD_KEY}/activate/", {"active": True}).status_code == 200

    refused = admin.patch(f"/api/plugins/{GOOD_KEY}/uninstall/", {})
    admin.patch(f"/api/plugins/{GOOD_KEY}/activate/", {"active": False})
    response = admin.patch(f"/api/plugins/{GOOD_KEY}/uninstall/", {})

    assert refused.status_code == 400
    assert refused.json() == {
        "non_field_errors": ["Plugin cannot be uninstalled as it is currently active"]
    }
    assert response.status_code == 200
    body = response.json()
    assert GOOD in body.pop("output")
    assert body == {
        "success": "Uninstalled plugin successfully",
        "result": f"Uninstalled {GOOD} 1.0.0",
        "delete_config": True,
        "package": GOOD,
        "removed_packages": {GOOD: "1.0.0"},
        "plugins": [GOOD_KEY],
        "deleted_configs": [GOOD_KEY],
    }
    assert plugin_env.version_of(GOOD) is None
    assert not PluginPackage.objects.exists()
    assert f"{GOOD}==1.0.0" not in Path(settings.PLUGHOST_PLUGINS_FILE).read_text()
    assert not PluginConfig.objects.filter(key=GOOD_KEY).exists()
    assert not PluginSetting.objects.filter(plugin__key=GOOD_KEY).exists()
    assert admin.get(f"/api/plugins/{GOOD_KEY}/").status_code == 404
    assert holder.current().find_definition(GOOD_KEY) is None


def test_uninstall_put_can_keep_the_config(
    api_client: ApiClientFactory, plugin_env: PluginEnv, package_index: PackageIndex
) -> None:
    assert install(api_client, package_index, GOOD, "1.0.0", **FAST)["status"] == 201

    response = api_client("superuser").put(
        f"/api/plugins/{GOOD_KEY}/uninstall/", {"delete_config": False}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["delete_config"], body["deleted_configs"], body["plugins"]) == (
        False,
        [],
        [GOOD_KEY],
    )
    detail = api_client("superuser").get(f"/api/plugins/{GOOD_KEY}/").json()
    assert detail["is_installed"] is False


def test_uninstall_of_a_folder_plugin_is_400(
    api_client: ApiClientFactory, settings: Settings, registry: object
) -> None:
    folder = Path(settings.PLUGHOST_PLUGIN_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dropped.py").write_text(
        "from plughost import InvenTreePlugin\n\n\n"
        "class Dropped(InvenTreePlugin):\n    NAME = 'Dropped'\n"
    )
    api_client("superuser").post("/api/plugins/reload/", {"collect_plugins": True}, format="json")

    response = api_client("superuser").patch("/api/plugins/dropped/uninstall/", {})

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Plugin is not a packaged plugin: it is a folder plugin, which ships with the "
            "server or lives in a plugin folder; remove it there instead"
        ]
    }


def test_uninstall_is_403_when_installs_are_off(
    api_client: ApiClientFactory, settings: Settings, registry: object
) -> None:
    settings.PLUGHOST_PLUGIN_NOINSTALL = True

    response = api_client("superuser").patch("/api/plugins/sample/uninstall/", {})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Plugin installation is disabled on this server (PLUGHOST_PLUGIN_NOINSTALL=1)"
    }
