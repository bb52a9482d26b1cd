"""``sample-api-caller`` calls a loopback API: token header, URL-encoded args, timeout, no leak."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import Settings

from plughost.mixins import APICallMixin
from plughost.plugins.samples.api_caller import SampleApiCallerPlugin
from plughost.runtime import holder
from plughost.services import plugins
from plughost.services.plugin_settings import update_setting
from plughost.services.registry import Discovery, current_registry, rebuild
from tests.loopback_http import Recorded, loopback_api

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-t0ken-value"


@pytest.fixture
def api() -> Iterator[Recorded]:
    with loopback_api() as recorded:
        yield recorded


@pytest.fixture
def caller(settings: Settings, data_dir: Path, api: Recorded) -> Iterator[APICallMixin]:
    settings.PLUGHOST_SAMPLE_PLUGINS = True
    holder.reset()
    rebuild(Discovery.RECOLLECT)
    plugins.activate("sample-api-caller")
    update_setting("sample-api-caller", "API_URL", api.base_url)
    update_setting("sample-api-caller", "API_TOKEN", TOKEN)
    plugin = current_registry().find_plugin("sample-api-caller")
    assert isinstance(plugin, SampleApiCallerPlugin)
    yield plugin
    holder.reset()


def test_the_sample_calls_the_api_with_the_token(
    caller: SampleApiCallerPlugin, api: Recorded
) -> None:
    assert caller.get_external_url() == {"data": {"id": 2, "first_name": "Janet"}}

    [request] = api.requests
    assert request["path"] == "/api/users/2"
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["bearer"] == TOKEN
    assert headers["content-type"] == "application/json"


def test_arguments_are_url_encoded(caller: APICallMixin, api: Recorded) -> None:
    caller.api_call("api/users/2", url_args={"q": "a b&c", "ids": [1, 2]})

    assert api.requests[0]["path"] == "/api/users/2?q=a+b%26c&ids=1,2"


def test_an_error_status_is_an_answer(caller: APICallMixin) -> None:
    response = caller.api_call("missing", simple_response=False)

    assert (response.status_code, response.ok) == (404, False)
    assert response.json() == {"error": "missing"}
    assert caller.api_call("missing") == {"error": "missing"}


def test_the_timeout_is_honoured(
    caller: APICallMixin, api: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.delay = 1.0
    monkeypatch.setattr(SampleApiCallerPlugin, "API_TIMEOUT", 0.3)
    started = time.monotonic()

    with pytest.raises(TimeoutError, match=r"did not answer within 0\.3 seconds"):
        caller.api_call("api/users/2")
    with pytest.raises(TimeoutError, match=r"within 0\.2 seconds"):
        caller.api_call("api/users/2", timeout=0.2)

    assert time.monotonic() - started < 2.0


def test_the_token_is_never_logged(
    caller: APICallMixin, api: Recorded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.delay = 1.0
    caller.api_call("missing")
    with pytest.raises(TimeoutError) as timed_out:
        caller.api_call("api/users/2", url_args={"page": 1}, timeout=0.2)
    update_setting("sample-api-caller", "API_URL", "http://127.0.0.1:9")
    with pytest.raises(ConnectionError) as refused:
        caller.api_call("api/users/2")

    assert TOKEN not in caplog.text
    assert TOKEN not in str(timed_out.value)
    assert "page=" not in str(timed_out.value)
    assert TOKEN not in str(refused.value)
    assert TOKEN not in repr(caller.api_call)
