"""Real installs through POST /api/plugins/install/ and the uninstall endpoint.

Fixture wheels are built by the test session and served by a PEP 503 index on 127.0.0.1;
nothing comes from the internet. Packages go into a throwaway venv layered on the project's
(``PLUGHOST_INSTALL_PYTHON``): it sees the host's packages, so pip resolves against Django
and the rest, but whatever is installed lands in the throwaway venv only, and this test
process imports it from there. The project's venv is never changed, even if a test dies.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django import Settings

from plughost.db.models import AuditEntry, InstallLock, PluginConfig, PluginPackage
from plughost.runtime import holder
from plughost.services.state import read_versions
from tests.api.install_support import (
    FAST,
    GOOD,
    GOOD_KEY,
    URL,
    PluginEnv,
    install,
    registry_errors,
)
from tests.conftest import ApiClientFactory
from tests.fixtures.builder import FixtureBuilder
from tests.fixtures.index_server import PackageIndex

# --- success ---------------------------------------------------------------------------------


def test_install_brings_an_inactive_plugin_and_lists_its_key(
    api_client: ApiClientFactory,
    plugin_env: PluginEnv,
    package_index: PackageIndex,
    settings: Settings,
) -> None:
    before = read_versions()

    answer = install(api_client, package_index, GOOD, "1.0.0")

    assert answer["status"] == 201
    body = answer["body"]
    assert isinstance(body, dict)
    output = body.pop("output")
    assert GOOD in output
    assert body == {
        "success": "Installed plugin successfully",
        "result": f"Installed {GOOD} 1.0.0",
        "input": {
            "url": package_index.url,
            "packagename": GOOD,
            "version": "1.0.0",
            "confirm": True,
        },
        "package": GOOD,
        "version": "1.0.0",
        "plugins": [GOOD_KEY],
        "changes": [f"added {GOOD} 1.0.0"],
    }
    detail = api_client("superuser").get(f"/api/plugins/{GOOD_KEY}/").json()
    assert (detail["active"], detail["is_installed"], detail["is_package"]) == (False, True, True)
    assert (detail["package_name"], detail["meta"]["version"]) == (GOOD, "1.0.0")
    assert plugin_env.version_of(GOOD) == "1.0.0"
    row = PluginPackage.objects.get()
    assert (row.name, row.requirement, row.index_url, row.version, row.installed_by) == (
        GOOD,
        f"{GOOD}==1.0.0",
        package_index.url,
        "1.0.0",
        "admin",
    )
    assert f"{GOOD}==1.0.0" in Path(settings.PLUGHOST_PLUGINS_FILE).read_text().splitlines()
    assert read_versions().collect_version > before.collect_version
    assert not holder.current().is_loaded(GOOD_KEY)


def test_index_credentials_are_stored_but_never_answered(
    api_client: ApiClientFactory, plugin_env: PluginEnv, fixture_builder: FixtureBuilder
) -> None:
    with PackageIndex(fixture_builder.out_dir, credentials=("plug", "s3cret")) as index:
        answer = install(api_client, index, GOOD, "2.0.0")
        url = index.url

    assert answer["status"] == 201
    assert "s3cret" not in str(answer["body"])
    assert answer["body"]["input"]["url"] == url.replace("s3cret", "****")  # type: ignore[index]
    assert PluginPackage.objects.get().index_url == url
    assert not AuditEntry.objects.filter(target__contains="s3cret").exists()
    assert AuditEntry.objects.filter(target__contains="plug:****@").exists()


# --- refused before pip runs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"packagename": "-r/etc/passwd"}, "packagename"),
        ({"packagename": GOOD, "url": "file:///tmp"}, "url"),
        ({"packagename": GOOD, "version": "==1; rm"}, "version"),
        ({"packagename": f"{GOOD}\n--index-url=http://evil"}, "packagename"),
    ],
)
def test_invalid_input_never_reaches_the_index(
    api_client: ApiClientFactory,
    plugin_env: PluginEnv,
    package_index: PackageIndex,
    body: dict[str, str],
    field: str,
) -> None:
    package_index.clear_requests()

    response = api_client("superuser").post(URL, {"confirm": True, **body}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert package_index.requests == []
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.result, entry.user) == ("install", "failed", "admin")


def test_a_running_install_makes_the_next_one_409(
    api_client: ApiClientFactory, plugin_env: PluginEnv, package_index: PackageIndex
) -> None:
    InstallLock.objects.create(
        pk=1, holder="node-b:42:abcd", operation=f"install {GOOD} by alice", expires=_later()
    )
    package_index.clear_requests()

    response = api_client("superuser").post(
        URL, {"confirm": True, "packagename": GOOD, "url": package_index.url}, format="json"
    )
    uninstall = api_client("superuser").patch("/api/plugins/sample/uninstall/", {})

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Another plugin install or uninstall is running (install {GOOD} by alice); "
        "try again when it has finished."
    }
    assert uninstall.status_code == 409
    assert package_index.requests == []
    assert InstallLock.objects.get().holder == "node-b:42:abcd"


def test_an_expired_lock_is_taken_over(
    api_client: ApiClientFactory, plugin_env: PluginEnv, package_index: PackageIndex
) -> None:
    InstallLock.objects.create(
        pk=1, holder="dead:1:abcd", operation="install x", expires=_earlier()
    )

    answer = install(api_client, package_index, GOOD, "1.0.0", **FAST)

    assert answer["status"] == 201
    assert InstallLock.objects.get().holder == ""


# --- pip fails ------------------------------------------------------------------------------


def test_an_unknown_package_is_400_with_pips_reason(
    api_client: ApiClientFactory, plugin_env: PluginEnv, package_index: PackageIndex
) -> None:
    before = plugin_env.snapshot()

    answer = install(api_client, package_index, "plughost-fixture-absent")

    assert answer["status"] == 400
    errors = answer["body"]["non_field_errors"]  # type: ignore[index]
    assert errors[0].startswith("Resolving plughost-fixture-absent from ")
    assert any("plughost-fixture-absent" in line for line in errors[1:])
    assert plugin_env.snapshot() == before
    assert not PluginPackage.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.result) == ("install", "failed")
    assert entry.message.startswith("Resolving plughost-fixture-absent")


def test_an_install_past_its_timeout_is_stopped_and_undone(
    api_client: ApiClientFactory,
    plugin_env: PluginEnv,
    fixture_builder: FixtureBuilder,
    settings: Settings,
) -> None:
    settings.PLUGHOST_INSTALL_TIMEOUT = 2
    before = plugin_env.snapshot()
    with PackageIndex(fixture_builder.out_dir) as slow:
        slow.hold()
        answer = install(api_client, slow, GOOD, "1.0.0", **FAST)
        assert slow.requests  # uv had asked the index when it was stopped

    assert answer["status"] == 400
    assert "timed out after 2 s and was stopped" in answer["body"]["non_field_errors"][0]  # type: ignore[index]
    assert plugin_env.snapshot() == before
    assert not PluginPackage.objects.exists()
    assert InstallLock.objects.get().holder == ""


# --- the new code fails to load: rolled back ------------------------------------------------


@pytest.mark.parametrize(
    ("version", "stage", "reason"),
    [
        ("3.0.0", "discovery", f"{GOOD} 3.0.0 fails at import, on purpose"),
        ("4.0.0", "ready", f"{GOOD} 4.0.0 fails at ready, on purpose"),
    ],
)
def test_an_upgrade_that_fails_to_load_is_rolled_back(
    api_client: ApiClientFactory,
    plugin_env: PluginEnv,
    package_index: PackageIndex,
    version: str,
    stage: str,
    reason: str,
) -> None:
    assert install(api_client, package_index, GOOD, "1.0.0", **FAST)["status"] == 201
    api_client("superuser").patch(f"/api/plugins/{GOOD_KEY}/activate/", {"active": True})
    assert holder.current().is_loaded(GOOD_KEY)

    answer = install(api_client, package_index, GOOD, version)

    assert answer["status"] == 400
    message = answer["body"]["non_field_errors"][0]  # type: ignore[index]
    assert message.startswith(f"{GOOD}=={version} from {package_index.url} was installed, but")
    assert "so the previous packages were restored" in message
    assert reason in message
    # The earlier version is back on disk, loaded, active and listed.
    assert plugin_env.version_of(GOOD) == "1.0.0"
    plugin = holder.current().find_plugin(GOOD_KEY)
    assert plugin is not None
    assert plugin.VERSION == "1.0.0"
    detail = api_client("superuser").get(f"/api/plugins/{GOOD_KEY}/").json()
    assert (detail["active"], detail["meta"]["version"]) == (True, "1.0.0")
    assert PluginPackage.objects.get().version == "1.0.0"
    failures = [e for e in registry_errors(api_client) if reason in e["message"]]
    assert [e["stage"] for e in failures] == [stage]
    assert failures[0]["message"].startswith(
        f"Installing {GOOD}=={version} from {package_index.url} was rolled back: "
    )


def test_a_successful_install_clears_the_last_failure(
    api_client: ApiClientFactory, plugin_env: PluginEnv, package_index: PackageIndex
) -> None:
    assert install(api_client, package_index, GOOD, "4.0.0", **FAST)["status"] == 400
    assert any(e["name"] == GOOD_KEY for e in registry_errors(api_client))

    answer = install(api_client, package_index, GOOD, "2.0.0", **FAST)

    assert answer["status"] == 201
    assert not any(e["name"] == GOOD_KEY for e in registry_errors(api_client))
    assert api_client("superuser").get(f"/api/plugins/{GOOD_KEY}/").json()["meta"]["version"] == (
        "2.0.0"
    )


@pytest.mark.parametrize(
    ("package", "name", "stage"),
    [
        ("plughost-fixture-import-fails", "plughost-fixture-import-fails", "discovery"),
        ("plughost-fixture-ready-fails", "fixture-ready-fails", "ready"),
    ],
)
def test_a_new_package_that_fails_to_load_is_removed(
    api_client: ApiClientFactory,
    plugin_env: PluginEnv,
    package_index: PackageIndex,
    package: str,
    name: str,
    stage: str,
) -> None:
    before = plugin_env.snapshot()

    answer = install(api_client, package_index, package)

    assert answer["status"] == 400
    assert "on purpose" in answer["body"]["non_field_errors"][0]  # type: ignore[index]
    assert plugin_env.snapshot() == before
    assert not PluginPackage.objects.exists()
    assert not PluginConfig.objects.filter(package_name=package).exists()
    assert [
        (e["stage"], e["name"]) for e in registry_errors(api_client) if "on purpose" in e["message"]
    ] == [(stage, name)]
    entry = AuditEntry.objects.get()
    assert (entry.result, entry.target) == ("failed", f"{package} from {package_index.url}")


# --- dry run and host packages --------------------------------------------------------------


def test_a_dry_run_answers_what_would_change_and_changes_nothing(
    api_client: ApiClientFactory,
    plugin_env: PluginEnv,
    package_index: PackageIndex,
    settings: Settings,
) -> None:
    before = plugin_env.snapshot()
    versions = read_versions()

    answer = install(api_client, package_index, GOOD, "2.0.0", dry_run=True)

    assert answer["status"] == 201
    body = answer["body"]
    assert isinstance(body, dict)
    body.pop("output")
    assert body == {
        "success": "Dry run: nothing was installed",
        "result": f"Resolved {GOOD}==2.0.0 from {package_index.url}: "
        "would install 1, upgrade 0, downgrade 0",
        "input": {
            "url": package_index.url,
            "packagename": GOOD,
            "version": "2.0.0",
            "confirm": True,
            "dry_run": True,
        },
        "dry_run": {
            "install": [{"name": GOOD, "version": "2.0.0"}],
            "upgrade": [],
            "downgrade": [],
            "reinstall": [],
        },
        "conflicts": [],
    }
    assert plugin_env.snapshot() == before
    assert read_versions() == versions
    assert not PluginPackage.objects.exists()
    assert not PluginConfig.objects.filter(key=GOOD_KEY).exists()
    assert not Path(settings.PLUGHOST_PLUGINS_FILE).exists()
    assert AuditEntry.objects.get().action == "dry_run"


def test_an_install_that_would_change_the_hosts_django_is_refused(
    api_client: ApiClientFactory, plugin_env: PluginEnv, package_index: PackageIndex
) -> None:
    before = plugin_env.snapshot()
    django_version = before.version_of("django")

    answer = install(api_client, package_index, "plughost-fixture-conflict")

    assert answer["status"] == 400
    conflict = f"django {django_version} -> 3.2.99 (downgrade)"
    assert answer["body"] == {
        "non_field_errors": [
            f"Installing plughost-fixture-conflict from {package_index.url} would change "
            f"packages the server itself depends on: {conflict}. Pick a plugin version "
            "compatible with this server."
        ],
        "conflicts": [conflict],
    }
    assert plugin_env.snapshot() == before


def test_a_dry_run_lists_the_host_packages_it_would_change(
    api_client: ApiClientFactory, plugin_env: PluginEnv, package_index: PackageIndex
) -> None:
    answer = install(api_client, package_index, "plughost-fixture-conflict", dry_run=True)

    assert answer["status"] == 201
    body = answer["body"]
    assert isinstance(body, dict)
    assert body["conflicts"] == [f"django {plugin_env.version_of('django')} -> 3.2.99 (downgrade)"]
    assert [change["name"] for change in body["dry_run"]["downgrade"]] == ["django"]


def _later() -> datetime:
    return timezone.now() + timedelta(minutes=5)


def _earlier() -> datetime:
    return timezone.now() - timedelta(minutes=5)
