"""What the real install and uninstall tests share: the target venv and the API call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plughost.installer.environment import Snapshot, take_snapshot
from plughost.installer.runner import Runner
from tests.conftest import ApiClientFactory
from tests.fixtures.index_server import PackageIndex

URL = "/api/plugins/install/"
GOOD = "plughost-fixture-good"
GOOD_KEY = "fixture-good"
# Skips the resolver's check of the host's packages (a pip run of its own): for installs
# that only set the scene. The check itself is tested where it matters.
FAST = {"allow_host_changes": True}


@dataclass(frozen=True)
class PluginEnv:
    """The throwaway environment the server installs into."""

    root: Path
    python: Path

    @property
    def runner(self) -> Runner:
        return Runner(python=str(self.python))

    def snapshot(self) -> Snapshot:
        return take_snapshot(self.runner)

    def version_of(self, name: str) -> str | None:
        return self.snapshot().version_of(name)


def install(
    api_client: ApiClientFactory,
    index: PackageIndex,
    packagename: str,
    version: str = "",
    **extra: object,
) -> dict[str, object]:
    body: dict[str, object] = {"confirm": True, "packagename": packagename, "url": index.url}
    if version:
        body["version"] = version
    response = api_client("superuser").post(URL, body | extra, format="json")
    return {"status": response.status_code, "body": response.json()}


def registry_errors(api_client: ApiClientFactory) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = (
        api_client("superuser").get("/api/plugins/status/").json()["registry_errors"]
    )
    return errors
