"""GET/PATCH/PUT /api/plugins/{plugin}/metadata/ (a 500 in InvenTree 198; fixed here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plughost.db.models import PluginConfig
from plughost.runtime import holder, metadata_cache
from plughost.services import plugins as plugin_service
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")

URL = "/api/plugins/sample/metadata/"


def stored() -> object:
    return PluginConfig.objects.get(key="sample").metadata


def test_get_empty_metadata(api_client: ApiClientFactory) -> None:
    response = api_client("staff").get(URL)

    assert response.status_code == 200
    assert response.json() == {"metadata": {}}


def test_metadata_can_be_the_first_request_of_a_process(api_client: ApiClientFactory) -> None:
    # A new process, and a plugin found since the last build: its config is not stored yet.
    PluginConfig.objects.filter(key="sample").delete()
    holder.reset()

    response = api_client("staff").get(URL)

    assert response.status_code == 200
    assert response.json() == {"metadata": {}}


def test_patch_merges_and_put_replaces(api_client: ApiClientFactory) -> None:
    client = api_client("staff")

    client.patch(URL, {"metadata": {"a": 1, "b": {"c": [1, 2]}}}, format="json")
    merged = client.patch(URL, {"metadata": {"d": "x"}}, format="json")
    replaced = client.put(URL, {"metadata": {"only": True}}, format="json")

    assert merged.json() == {"metadata": {"a": 1, "b": {"c": [1, 2]}, "d": "x"}}
    assert replaced.json() == {"metadata": {"only": True}}
    assert stored() == {"only": True}


def test_patch_merges_shallowly_and_keeps_nulls(api_client: ApiClientFactory) -> None:
    client = api_client("staff")
    client.put(URL, {"metadata": {"b": {"c": [1]}, "keep": 1}}, format="json")

    merged = client.patch(URL, {"metadata": {"b": {"x": 1}, "n": None}}, format="json")

    assert merged.json() == {"metadata": {"b": {"x": 1}, "keep": 1, "n": None}}
    assert stored() == {"b": {"x": 1}, "keep": 1, "n": None}


@pytest.mark.parametrize("odd", [[1, 2], "text", 7])
def test_patch_over_stored_metadata_that_is_not_an_object(
    api_client: ApiClientFactory, odd: object
) -> None:
    """Plugin code may store anything with set_metadata's model; a merge starts afresh."""
    PluginConfig.objects.filter(key="sample").update(metadata=odd)

    merged = api_client("staff").patch(URL, {"metadata": {"a": 1}}, format="json")

    assert merged.status_code == 200
    assert merged.json() == {"metadata": {"a": 1}}
    assert stored() == {"a": 1}


@pytest.mark.parametrize("method", ["patch", "put"])
def test_writing_metadata_of_an_unknown_plugin_is_404(
    api_client: ApiClientFactory, method: str
) -> None:
    response = getattr(api_client("staff"), method)(
        "/api/plugins/nope/metadata/", {"metadata": {"a": 1}}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_write_nobody_vets_is_one_statement(api_client: ApiClientFactory, method: str) -> None:
    """PUT everywhere, PATCH on PostgreSQL (SQLite's JSON merge is not the shallow one)."""
    client = api_client("staff")
    client.put(URL, {"metadata": {"a": 1}}, format="json")

    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(URL, {"metadata": {"b": 2}}, format="json")

    assert response.status_code == 200
    on_config = [q["sql"] for q in queries.captured_queries if "pluginconfig" in q["sql"]]
    if method == "patch" and connection.vendor != "postgresql":
        assert any("SELECT" in sql for sql in on_config)  # read, merged, saved
        return
    assert len(on_config) == 1
    assert on_config[0].startswith("UPDATE")
    assert stored() == ({"a": 1, "b": 2} if method == "patch" else {"b": 2})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "This field is required."),
        ({"metadata": None}, "This field may not be null."),
        ({"metadata": [1, 2]}, "Metadata must be a JSON object"),
        ({"metadata": "text"}, "Metadata must be a JSON object"),
        ({"metadata": {"x": "<script>alert(1)</script>"}}, "Remove HTML tags from this value"),
    ],
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_bad_metadata_is_400_and_changes_nothing(
    api_client: ApiClientFactory, method: str, body: dict[str, object], message: str
) -> None:
    response = getattr(api_client("staff"), method)(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"metadata": [message]}
    assert stored() == {}


def test_huge_metadata_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("staff").put(URL, {"metadata": {"x": "y" * 70000}}, format="json")

    assert response.status_code == 400
    assert "too large" in response.json()["metadata"][0]


def test_deeply_nested_metadata_is_400(api_client: ApiClientFactory) -> None:
    nested: dict[str, object] = {}
    node = nested
    for _ in range(50):
        node["n"] = {}
        node = node["n"]  # type: ignore[assignment]

    response = api_client("staff").put(URL, {"metadata": nested}, format="json")

    assert response.status_code == 400


def test_unknown_plugin_is_404(api_client: ApiClientFactory) -> None:
    assert api_client("staff").get("/api/plugins/nope/metadata/").status_code == 404


@pytest.mark.parametrize("method", ["post", "delete"])
def test_other_methods_are_405(api_client: ApiClientFactory, method: str) -> None:
    assert getattr(api_client("staff"), method)(URL).status_code == 405


@pytest.fixture
def metadata_in_memory() -> Iterator[None]:
    """The cache as a PostgreSQL server's watcher keeps it while it listens."""
    metadata_cache.enable()
    yield
    metadata_cache.disable()


def metadata_reads(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if '"metadata"' in q["sql"]]


@pytest.mark.usefixtures("metadata_in_memory")
def test_a_watched_process_reads_metadata_once_and_its_own_writes_at_once(
    api_client: ApiClientFactory,
) -> None:
    client = api_client("staff")
    client.put(URL, {"metadata": {"a": 1}}, format="json")
    client.get(URL)

    with CaptureQueriesContext(connection) as unread:
        again = client.get(URL)
    client.patch(URL, {"metadata": {"b": 2}}, format="json")
    after_patch = client.get(URL)
    client.put(URL, {"metadata": {"c": 3}}, format="json")
    after_put = client.get(URL)

    assert again.json() == {"metadata": {"a": 1}}
    assert metadata_reads(unread) == []
    assert after_patch.json() == {"metadata": {"a": 1, "b": 2}}
    assert after_put.json() == {"metadata": {"c": 3}}


@pytest.mark.usefixtures("metadata_in_memory")
def test_cached_metadata_is_a_fresh_object_for_each_reader(api_client: ApiClientFactory) -> None:
    client = api_client("staff")
    client.put(URL, {"metadata": {"list": [1]}}, format="json")

    first = plugin_service.get_metadata("sample")
    first["list"].append(2)  # type: ignore[attr-defined]

    assert plugin_service.get_metadata("sample") == {"list": [1]}


@pytest.mark.usefixtures("metadata_in_memory")
def test_a_deleted_plugin_is_404_though_its_metadata_was_cached(
    api_client: ApiClientFactory,
) -> None:
    client = api_client("staff")
    if holder.snapshot.configs["sample"]["active"]:
        plugin_service.deactivate("sample")
    assert client.get(URL).status_code == 200

    plugin_service.delete("sample")

    assert client.get(URL).status_code == 404


def test_put_answers_the_object_as_sent(api_client: ApiClientFactory) -> None:
    response = api_client("staff").put(URL, {"metadata": {"b": 1, "a": 2}}, format="json")

    assert list(response.json()["metadata"].items()) == [("b", 1), ("a", 2)]
    assert stored() == {"a": 2, "b": 1}
