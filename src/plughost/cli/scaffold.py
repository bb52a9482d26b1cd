"""``plughost new-plugin NAME``: a plugin package that runs in InvenTree and in plughost.

The package has the ``inventree_plugins`` entry point, a plugin class with a setting and an
action, written against InvenTree's import names (``from plugin import InvenTreePlugin``),
and a test that runs it in an in-process host (``plughost.testing``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from plughost.core.plugin import slugify


class ScaffoldError(ValueError):
    """The name cannot make a package, or the folder exists already."""


@dataclass(frozen=True)
class Names:
    """Every name derived from what the author typed."""

    key: str  # plugin key and distribution name: hello-world
    package: str  # import package: hello_world
    class_name: str  # HelloWorldPlugin
    title: str  # Hello World
    plugin_name: str  # HelloWorld (the plugin's NAME)


def derive_names(name: str) -> Names:
    """Return the names of a plugin called ``name``; raise ScaffoldError when none can be made."""
    key = slugify(name.replace("_", "-"))
    words = [word for word in re.split(r"[-_\s]+", key) if word]
    if not words or not re.match(r"^[a-z]", key):
        raise ScaffoldError(
            f"{name!r} cannot name a plugin: use letters, digits and dashes, "
            "starting with a letter (e.g. hello-world)"
        )
    camel = "".join(word.capitalize() for word in words)
    return Names(
        key=key,
        package=key.replace("-", "_"),
        class_name=camel if camel.endswith("Plugin") else f"{camel}Plugin",
        title=" ".join(word.capitalize() for word in words),
        plugin_name=camel,
    )


PYPROJECT = Template("""\
[build-system]
requires = ["setuptools>=69", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "$key"
version = "0.1.0"
description = "$title: a plugin for InvenTree and plughost"
readme = "README.md"
requires-python = ">=3.11"
dependencies = []

[project.optional-dependencies]
test = ["plughost", "pytest", "pytest-django"]

# InvenTree (and plughost) find the plugin class through this entry point.
[project.entry-points."inventree_plugins"]
$key = "$package.plugin:$class_name"

[tool.setuptools.packages.find]
include = ["$package*"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
""")

INIT = Template('''\
"""$title: a plugin for InvenTree and plughost."""

__version__ = "0.1.0"
''')

PLUGIN = Template('''\
"""$title: settings and an action, written against InvenTree's plugin SDK."""

from plugin import InvenTreePlugin
from plugin.mixins import ActionMixin, SettingsMixin

from $package import __version__


class $class_name(ActionMixin, SettingsMixin, InvenTreePlugin):
    """Greets whoever performs the action ``$key``."""

    NAME = "$plugin_name"
    SLUG = "$key"
    TITLE = "$title"
    DESCRIPTION = "Greets whoever performs its action"
    VERSION = __version__
    AUTHOR = "You"

    ACTION_NAME = "$key"

    SETTINGS = {
        "GREETING": {
            "name": "Greeting",
            "description": "What the plugin says first",
            "default": "Hello",
        },
    }

    def get_result(self, user=None, data=None):
        """The action always succeeds."""
        return True

    def get_info(self, user=None, data=None):
        """Greet the user who performed the action."""
        name = getattr(user, "username", None) or "world"
        return {"message": f"{self.get_setting('GREETING')}, {name}!"}
''')

CONFTEST = '''\
"""Run the tests in an in-process plughost (see plughost.testing)."""

pytest_plugins = ["plughost.testing"]
'''

TEST = Template('''\
"""Tests of $class_name, in an in-process plughost."""

from $package.plugin import $class_name


def test_plugin_loads_with_its_default_setting(plugin_host):
    host = plugin_host($class_name)
    assert host.plugin("$key").get_setting("GREETING") == "Hello"


def test_action_greets_the_user(plugin_host):
    host = plugin_host($class_name)
    host.set_setting("$key", "GREETING", "Hi")
    response = host.client.post("/api/action/", {"action": "$key"}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "action": "$key",
        "result": True,
        "info": {"message": "Hi, admin!"},
    }
''')

README = Template("""\
# $title

A plugin for [InvenTree](https://inventree.org) that also runs in plughost.

```sh
pip install -e ".[test]"
pytest                     # runs the plugin in an in-process plughost
```

Install it into InvenTree or plughost with `pip install .`; it is found through its
`inventree_plugins` entry point. Activate it, then:

```sh
curl -X POST -H "Authorization: Token <token>" -H "Content-Type: application/json" \\
     -d '{"action": "$key"}' http://127.0.0.1:8000/api/action/
```
""")


def scaffold(name: str, parent: Path) -> Path:
    """Write a new plugin project called ``name`` under ``parent``; return its folder.

    Raises ScaffoldError for a bad name or an existing, non-empty folder.
    """
    names = derive_names(name)
    root = parent / names.key
    if root.exists() and any(root.iterdir()):
        raise ScaffoldError(f"{root} exists and is not empty; choose another name or folder")
    values = {
        "key": names.key,
        "package": names.package,
        "class_name": names.class_name,
        "title": names.title,
        "plugin_name": names.plugin_name,
    }
    files = {
        "pyproject.toml": PYPROJECT.substitute(values),
        "README.md": README.substitute(values),
        f"{names.package}/__init__.py": INIT.substitute(values),
        f"{names.package}/plugin.py": PLUGIN.substitute(values),
        "tests/conftest.py": CONFTEST,
        "tests/test_plugin.py": TEST.substitute(values),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
