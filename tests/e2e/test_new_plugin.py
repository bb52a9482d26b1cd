"""``plughost new-plugin`` writes a package whose own test passes in an in-process host."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.servers import plughost_command


def clean_environment() -> dict[str, str]:
    # As a plugin author's shell: none of this suite's Django or plughost settings.
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLUGHOST_", "PYTEST_")) and key != "DJANGO_SETTINGS_MODULE"
    }


def test_the_scaffolded_plugin_passes_its_own_tests(tmp_path: Path) -> None:
    made = subprocess.run(
        [*plughost_command(), "new-plugin", "hello-world", "--directory", str(tmp_path)],
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    project = tmp_path / "hello-world"
    assert f"Created {project}" in made.stdout
    assert not (tmp_path / "data").exists()  # writing files needs no server data

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout


def test_new_plugin_refuses_a_bad_name(tmp_path: Path) -> None:
    made = subprocess.run(
        [*plughost_command(), "new-plugin", "9lives", "--directory", str(tmp_path)],
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert made.returncode == 1
    assert "cannot name a plugin" in made.stderr
