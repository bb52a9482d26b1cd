"""The README's "Write a plugin" example loads and answers as the README says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plughost.core.registry import Registry
from plughost.services import plugins
from plughost.services.registry import Discovery, rebuild
from tests.conftest import ApiClientFactory

pytestmark = [pytest.mark.api, pytest.mark.django_db]

README = Path(__file__).parents[2] / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def code_block(text: str, language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", text, flags=re.S)
    assert match is not None, f"no {language} block"
    return match.group(1)


def test_the_readme_plugin_is_about_ten_lines() -> None:
    code = code_block(section("Write a plugin"), "python")
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) <= 10


def test_the_readme_plugin_answers_as_the_readme_says(
    registry: Registry, data_dir: Path, api_client: ApiClientFactory
) -> None:
    text = section("Write a plugin")
    folder = data_dir / "plugins"
    folder.mkdir()
    (folder / "hello.py").write_text(code_block(text, "python"))
    rebuild(Discovery.RECOLLECT)
    plugins.activate("hello")

    response = api_client("superuser").post("/api/action/", {"action": "hello"}, format="json")

    assert response.status_code == 200
    assert response.json() == json.loads(code_block(text, "json"))
