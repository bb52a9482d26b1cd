"""``/static/plugins/<key>/...``: a loaded plugin's ``static/`` folder, where
``plugin_static_file()`` points."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from plughost.core.registry import Registry
from plughost.services import plugins
from plughost.services.registry import Discovery, current_registry, rebuild

pytestmark = [pytest.mark.api, pytest.mark.django_db]

PLUGIN = """
from plugin import InvenTreePlugin


class Styled(InvenTreePlugin):
    NAME = "Styled"
"""


@pytest.fixture
def styled(registry: Registry, data_dir: Path) -> None:
    package = data_dir / "plugins" / "styled"
    (package / "static" / "css").mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN)
    (package / "static" / "css" / "style.css").write_text("body { color: teal; }\n")
    (package / "secret.txt").write_text("not static\n")
    rebuild(Discovery.RECOLLECT)


@pytest.mark.usefixtures("styled")
def test_a_loaded_plugins_static_file_is_served_at_its_static_url() -> None:
    plugins.activate("styled")
    plugin = current_registry().find_plugin("styled")
    assert plugin is not None
    url = plugin.plugin_static_file("css", "style.css")

    response = Client().get(url)

    assert url == "/static/plugins/styled/css/style.css"
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"body { color: teal; }\n"  # type: ignore[attr-defined]


@pytest.mark.usefixtures("styled")
def test_an_inactive_plugins_files_are_not_served() -> None:
    assert Client().get("/static/plugins/styled/css/style.css").status_code == 404


@pytest.mark.usefixtures("styled")
@pytest.mark.parametrize(
    "path",
    ["../secret.txt", "%2e%2e/secret.txt", "css/", "css/missing.css", "css/../../secret.txt"],
)
def test_nothing_outside_the_static_folder_is_served(path: str) -> None:
    plugins.activate("styled")

    # 404, or 400 where Django sees a path leaving the folder (SuspiciousFileOperation).
    assert Client().get(f"/static/plugins/styled/{path}").status_code in {400, 404}
