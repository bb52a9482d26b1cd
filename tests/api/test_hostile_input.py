"""A catalogue of hostile requests: each gets a clear 4xx JSON answer and changes nothing.

Every case runs as a superuser (who may change the most) against the samples, and the
stored plugin configs and settings are compared before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from plughost.core.registry import Registry
from plughost.db.models import PluginConfig, PluginSetting
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")

S = "/api/plugins/sample"
SETTING = f"{S}/settings/API_KEY/"
DEEP = 200
SQL = "x' OR '1'='1'; DROP TABLE plughost_pluginconfig; --"
LONG = "k" * 3000

# (name, method, path, body, content type, expected status); a body of bytes goes as is.
Case = tuple[str, str, str, Any, str, int]
CASES: list[Case] = [
    # Not JSON, or not the JSON expected.
    ("broken json", "patch", SETTING, b'{"value": ', "application/json", 400),
    ("json of a list", "patch", f"{S}/metadata/", b"[1, 2]", "application/json", 400),
    ("json null", "put", SETTING, b"null", "application/json", 400),
    ("text body", "patch", SETTING, b"value=1", "text/plain", 415),
    ("xml body", "post", "/api/plugins/reload/", b"<reload/>", "application/xml", 415),
    (
        "nested brackets",
        "patch",
        f"{S}/metadata/",
        b"[" * 50_000 + b"]" * 50_000,
        "application/json",
        400,
    ),
    ("nan", "patch", f"{S}/metadata/", b'{"metadata": {"a": NaN}}', "application/json", 400),
    ("bad utf-8", "patch", SETTING, b'{"value": "\xff\xfe"}', "application/json", 400),
    # Wrong types for every field.
    ("active string", "patch", f"{S}/activate/", {"active": "sure"}, "json", 400),
    ("active list", "patch", f"{S}/", {"active": [True]}, "json", 400),
    ("name number", "patch", f"{S}/", {"name": 5}, "json", 400),
    ("value list", "patch", SETTING, {"value": ["a"]}, "json", 400),
    ("value object", "patch", SETTING, {"value": {"a": 1}}, "json", 400),
    ("value null", "patch", SETTING, {"value": None}, "json", 400),
    ("metadata list", "put", f"{S}/metadata/", {"metadata": [1]}, "json", 400),
    ("metadata string", "patch", f"{S}/metadata/", {"metadata": "x"}, "json", 400),
    ("metadata null", "patch", f"{S}/metadata/", {"metadata": None}, "json", 400),
    (
        "install name number",
        "post",
        "/api/plugins/install/",
        {"packagename": 5, "confirm": True},
        "json",
        400,
    ),
    (
        "install name list",
        "post",
        "/api/plugins/install/",
        {"packagename": ["a"], "confirm": True},
        "json",
        400,
    ),
    (
        "install confirm string",
        "post",
        "/api/plugins/install/",
        {"packagename": "a", "confirm": "x"},
        "json",
        400,
    ),
    (
        "install pip option",
        "post",
        "/api/plugins/install/",
        {"packagename": "--index-url=http://evil/ a", "confirm": True},
        "json",
        400,
    ),
    (
        "install file url",
        "post",
        "/api/plugins/install/",
        {"url": "file:///etc/passwd", "confirm": True},
        "json",
        400,
    ),
    ("reload flag object", "post", "/api/plugins/reload/", {"collect_plugins": {}}, "json", 400),
    ("uninstall flag list", "patch", f"{S}/uninstall/", {"delete_config": []}, "json", 400),
    ("event number", "post", "/api/plugins/events/", {"event": 5}, "json", 400),
    ("event data list", "post", "/api/plugins/events/", {"event": "a.b", "data": [1]}, "json", 400),
    ("action list", "post", "/api/action/", {"action": ["simple"]}, "json", 400),
    (
        "currency number",
        "post",
        "/api/plugins/currency/exchange/",
        {"base_currency": 978},
        "json",
        400,
    ),
    # Huge or deep metadata.
    (
        "deep metadata",
        "patch",
        f"{S}/metadata/",
        {"metadata": json.loads('{"a":' * DEEP + "1" + "}" * DEEP)},
        "json",
        400,
    ),
    ("huge metadata", "patch", f"{S}/metadata/", {"metadata": {"a": "x" * 70_000}}, "json", 400),
    (
        "many keys",
        "patch",
        f"{S}/metadata/",
        {"metadata": {f"k{i}": i for i in range(20_000)}},
        "json",
        400,
    ),
    # Unicode, control characters and HTML (InvenTree rejects HTML).
    ("nul in value", "patch", SETTING, {"value": "a\x00b"}, "json", 400),
    ("escape in value", "patch", SETTING, {"value": "\x1b[31mred"}, "json", 400),
    ("newline in value", "patch", SETTING, {"value": "a\nb"}, "json", 400),
    ("html in value", "patch", SETTING, {"value": "<script>alert(1)</script>"}, "json", 400),
    (
        "html in metadata",
        "patch",
        f"{S}/metadata/",
        {"metadata": {"a": "<img src=x onerror=alert(1)>"}},
        "json",
        400,
    ),
    ("html in metadata key", "patch", f"{S}/metadata/", {"metadata": {"<b>": 1}}, "json", 400),
    ("control in metadata", "patch", f"{S}/metadata/", {"metadata": {"a": "\x07"}}, "json", 400),
    ("html event", "post", "/api/plugins/events/", {"event": "<b>"}, "json", 400),
    ("lone surrogate", "patch", SETTING, b'{"value": "\\ud800"}', "application/json", 400),
    # Paths.
    ("dot dot", "get", "/api/plugins/../plugins/status/", None, "json", 404),
    ("encoded slash", "get", "/api/plugins/sample%2F..%2Fstatus/", None, "json", 404),
    (
        "encoded slash setting",
        "patch",
        f"{S}/settings/API_KEY%2F..%2FX/",
        {"value": "1"},
        "json",
        404,
    ),
    ("long key", "get", f"/api/plugins/{LONG}/", None, "json", 404),
    ("long setting key", "patch", f"{S}/settings/{LONG}/", {"value": "1"}, "json", 404),
    ("sql key", "get", f"/api/plugins/{SQL}/", None, "json", 404),
    ("sql setting", "patch", f"{S}/settings/{SQL}/", {"value": "1"}, "json", 404),
    ("sql metadata", "put", f"/api/plugins/{SQL}/metadata/", {"metadata": {}}, "json", 404),
    ("nul in path", "get", "/api/plugins/sam%00ple/", None, "json", 400),
    ("nul in plugin url", "get", "/plugin/sam%00ple/x/", None, "json", 400),
    ("nul in search", "get", "/api/plugins/?search=a%00b", None, "json", 400),
    ("nul in filter", "get", "/api/plugins/settings/?plugin__key=%00", None, "json", 400),
    ("delete unknown", "delete", f"/api/plugins/{SQL}/", None, "json", 404),
    # Query strings.
    ("limit negative", "get", "/api/plugins/?limit=-1", None, "json", 400),
    ("limit word", "get", "/api/plugins/?limit=ten", None, "json", 400),
    ("limit float", "get", "/api/plugins/settings/?limit=1.5", None, "json", 400),
    ("limit huge", "get", "/api/plugins/?limit=" + "9" * 40, None, "json", 400),
    ("offset huge", "get", "/api/plugins/?offset=" + "9" * 40, None, "json", 400),
    ("offset huge users", "get", "/api/user/?offset=99999999999999999999", None, "json", 400),
    ("bool word", "get", "/api/plugins/?active=maybe", None, "json", 400),
    ("ordering sql", "get", f"/api/plugins/?ordering={SQL}", None, "json", 400),
    ("audit action", "get", "/api/plugins/audit/?action=drop", None, "json", 400),
]

# Queries that are hostile but legitimate: answered 200 with what matches (nothing).
HARMLESS = [
    f"/api/plugins/?search={SQL}",
    "/api/plugins/?search=%01%02%7F",
    f"/api/plugins/?mixin={SQL}",
    f"/api/plugins/settings/?plugin__key={SQL}",
    f"/api/plugins/tasks/?plugin={SQL}",
    f"/api/plugins/?search={LONG}",
    "/api/plugins/?offset=999999",
]


def state() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return (
        list(PluginConfig.objects.order_by("id").values()),
        list(PluginSetting.objects.order_by("id").values()),
    )


@pytest.fixture
def unchanged(registry: Registry) -> Iterator[None]:
    before = state()
    yield
    assert state() == before


def send(client: Any, method: str, path: str, body: Any, content_type: str) -> Any:
    if isinstance(body, bytes):
        return getattr(client, method)(path, body, content_type=content_type)
    return getattr(client, method)(path, body, format="json")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("name", "method", "path", "body", "content_type", "expected"), CASES)
def test_hostile_request_is_refused_clearly(
    api_client: ApiClientFactory,
    name: str,
    method: str,
    path: str,
    body: Any,
    content_type: str,
    expected: int,
) -> None:
    response = send(api_client("superuser"), method, path, body, content_type)

    assert response.status_code == expected, (name, response.content[:500])
    assert response["Content-Type"] == "application/json", name
    answer = response.json()
    assert isinstance(answer, dict)
    assert answer, name


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("path", HARMLESS)
def test_hostile_query_finds_nothing(api_client: ApiClientFactory, path: str) -> None:
    response = api_client("superuser").get(path)

    assert response.status_code == 200, response.content[:500]
    assert response.json()["results"] == []


@pytest.mark.usefixtures("unchanged")
@override_settings(PLUGHOST_MAX_REQUEST_BYTES=4096)
def test_an_oversized_body_is_413_before_it_is_read(api_client: ApiClientFactory) -> None:
    body = json.dumps({"metadata": {"a": "x" * 10_000}})

    response = api_client("superuser").patch(
        f"{S}/metadata/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"Request body is too large ({len(body)} bytes; this server accepts at most 4096)"
    }


@pytest.mark.usefixtures("unchanged")
def test_a_bad_content_length_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").generic(
        "PATCH", SETTING, b'{"value": "1"}', "application/json", CONTENT_LENGTH="-5"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid Content-Length header: '-5'"}


def test_the_catalogue_is_large() -> None:
    assert len(CASES) + len(HARMLESS) >= 60
