"""GET /api/plugins/: envelope, filters, search, ordering, pagination."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plughost.api import plugin_query
from plughost.api.plugin_query import PluginQuery, Row
from plughost.core.registry import Registry
from plughost.runtime import Snapshot
from plughost.services import plugins as plugin_service
from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")

#: The builtin plugins, by name (all active on a fresh server).
BUILTIN = ["inventreecorenotificationsplugin", "plughost", "plughostinfo"]
#: The samples, by name (all inactive on a fresh server).
SAMPLES = [
    "sampleevent",  # EventPlugin
    "filteredsampleevent",  # FilteredEventPlugin
    "nointegrationplugin",
    "sample-api-caller",  # Sample API Caller
    "samplecurrencyexchange",  # SampleExchange
    "sample",  # SampleIntegrationPlugin
    "sampleversion",
    "schedule",  # ScheduledTasksPlugin
    "simpleaction",
    "wrongintegrationplugin",
]
ALL = BUILTIN + SAMPLES


def keys(body: dict[str, object]) -> list[str]:
    results = body["results"]
    assert isinstance(results, list)
    return [item["key"] for item in results]


def test_list_answers_the_page_envelope_without_limit(api_client: ApiClientFactory) -> None:
    response = api_client("user").get("/api/plugins/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(body["results"]) == len(ALL)
    assert (body["next"], body["previous"]) == (None, None)


def test_default_order_is_active_first_then_name_then_key(api_client: ApiClientFactory) -> None:
    body = api_client("user").get("/api/plugins/").json()

    assert keys(body) == ALL


def test_plugin_object_has_the_contract_fields(api_client: ApiClientFactory) -> None:
    body = api_client("user").get("/api/plugins/?search=sample&ordering=key").json()
    sample = next(item for item in body["results"] if item["key"] == "sample")

    assert list(sample) == [
        "pk",
        "key",
        "name",
        "package_name",
        "active",
        "meta",
        "mixins",
        "is_builtin",
        "is_sample",
        "is_installed",
        "is_package",
    ]
    assert sample["name"] == "SampleIntegrationPlugin"
    assert sample["active"] is False
    assert (sample["is_builtin"], sample["is_sample"], sample["is_installed"]) == (
        False,
        True,
        True,
    )
    assert sample["meta"]["human_name"] == "Sample Plugin"
    assert sample["meta"]["settings_url"] == "/settings/#select-plugin-sample"
    assert sample["mixins"]["base"] == {"key": "base", "human_name": "base"}
    assert sample["mixins"]["settings"] == {"key": "settings", "human_name": "Settings"}


def test_inactive_plugins_report_meta_and_mixins(api_client: ApiClientFactory) -> None:
    """Deliberate difference: InvenTree 198 shows nulls and {} for inactive plugins."""
    body = api_client("user").get("/api/plugins/?mixin=settings,urls").json()

    assert keys(body) == ["sample"]


def test_limit_and_offset_page_through(api_client: ApiClientFactory) -> None:
    body = api_client("user").get("/api/plugins/?limit=2&offset=2").json()

    assert body["count"] == len(ALL)
    assert keys(body) == ALL[2:4]
    assert body["next"] == "http://testserver/api/plugins/?limit=2&offset=4"
    assert body["previous"] == "http://testserver/api/plugins/?limit=2"


def test_offset_past_the_end_is_an_empty_page(api_client: ApiClientFactory) -> None:
    body = api_client("user").get("/api/plugins/?limit=5&offset=50").json()

    assert (body["count"], body["results"], body["next"]) == (len(ALL), [], None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("offset=abc", "offset"),
        ("offset=-3", "offset"),
    ],
)
def test_bad_pagination_values_are_400(
    api_client: ApiClientFactory, query: str, field: str
) -> None:
    response = api_client("user").get(f"/api/plugins/?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("active=true", BUILTIN),
        ("active=False", SAMPLES),
        ("active=1&ordering=key", BUILTIN),
        ("builtin=true", BUILTIN),
        ("builtin=0&sample=1", SAMPLES),
        ("sample=false", BUILTIN),
        ("installed=true&builtin=false&ordering=key", sorted(SAMPLES)),
        ("installed=false", []),
        ("mixin=URLS", ["plughostinfo", "sample", "wrongintegrationplugin"]),
        (
            "mixin=settings",
            [
                "inventreecorenotificationsplugin",
                "plughost",
                "sample-api-caller",
                "sample",
                "schedule",
            ],
        ),
        ("mixin=nosuchmixin", []),
        ("mixin=,", ALL),
    ],
)
def test_filters(api_client: ApiClientFactory, query: str, expected: list[str]) -> None:
    body = api_client("user").get(f"/api/plugins/?{query}").json()

    assert keys(body) == expected


@pytest.mark.parametrize("name", ["active", "builtin", "sample", "installed"])
def test_a_filter_value_that_is_not_a_boolean_is_400(
    api_client: ApiClientFactory, name: str
) -> None:
    response = api_client("user").get(f"/api/plugins/?{name}=abc")

    assert response.status_code == 400
    assert response.json() == {name: ["'abc' is not a valid boolean: use true or false."]}


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (
            "SAMPLE",
            [
                "filteredsampleevent",
                "sample",
                "sample-api-caller",
                "samplecurrencyexchange",
                "sampleevent",
                "sampleversion",
            ],
        ),
        ("integration", ["nointegrationplugin", "sample", "wrongintegrationplugin"]),
        ("sample version", ["sampleversion"]),
        ("", sorted(ALL)),
        ("zzz", []),
    ],
)
def test_search_matches_key_and_name(
    api_client: ApiClientFactory, search: str, expected: list[str]
) -> None:
    body = api_client("user").get("/api/plugins/", {"search": search, "ordering": "key"}).json()

    assert keys(body) == expected


def test_ordering_by_key_descending(api_client: ApiClientFactory) -> None:
    body = api_client("user").get("/api/plugins/?ordering=-key").json()

    assert keys(body)[0] == "wrongintegrationplugin"


def test_ordering_by_an_unknown_field_is_400(api_client: ApiClientFactory) -> None:
    response = api_client("user").get("/api/plugins/?ordering=pk")

    assert response.status_code == 400
    assert response.json() == {"ordering": ["Cannot order by pk; use key, name, active."]}


def test_list_runs_a_fixed_number_of_queries(
    api_client: ApiClientFactory, registry: Registry
) -> None:
    client = api_client("user")
    client.get("/api/plugins/")  # warm the registry check
    with CaptureQueriesContext(connection) as few:
        client.get("/api/plugins/?limit=1")
    plugin_service.activate("sample")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/plugins/?mixin=settings")

    assert response.status_code == 200
    assert len(many) <= len(few) + 1
    assert len(few) <= 4


def test_pages_of_a_query_come_from_one_selection_until_the_state_changes(
    api_client: ApiClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    selected: list[PluginQuery] = []
    real_select = plugin_query._select

    def counting(snapshot: Snapshot, query: PluginQuery, order: Sequence[str]) -> tuple[Row, ...]:
        selected.append(query)
        return real_select(snapshot, query, order)

    monkeypatch.setattr(plugin_query, "_select", counting)
    client = api_client("superuser")

    first = client.get("/api/plugins/?search=sample&limit=2").json()
    second = client.get("/api/plugins/?search=sample&limit=2&offset=2").json()
    assert len(selected) == 1  # the second page is a slice of the first selection
    assert first["count"] == second["count"]
    assert set(keys(first)).isdisjoint(keys(second))

    plugin_service.activate("sample")  # a new snapshot: the query is answered afresh
    after = client.get("/api/plugins/?search=sample&limit=2").json()
    assert len(selected) == 2
    assert after["results"][0]["key"] == "sample"  # active first
    assert after["results"][0]["active"] is True


def test_the_query_cache_keeps_only_the_latest_queries(api_client: ApiClientFactory) -> None:
    client = api_client("user")
    for number in range(plugin_query.CACHED_QUERIES + 10):
        assert client.get(f"/api/plugins/?search=term{number}").status_code == 200

    assert len(plugin_query._cache._entries) == plugin_query.CACHED_QUERIES


def test_the_search_index_finds_every_term_in_key_or_name_within_one_row() -> None:
    rows = [
        {"key": "alpha", "search_text": "alpha\nfirst plugin"},
        {"key": "beta", "search_text": "beta\nsecond plugin plugin"},
        {"key": "gamma", "search_text": "gamma\n"},
    ]
    index = plugin_query.SearchIndex(rows)

    def matching(*terms: str) -> list[str]:
        return [row["key"] for row in index.rows_matching(terms)]

    assert matching("plugin") == ["alpha", "beta"]
    assert matching("plugin", "sec") == ["beta"]
    assert matching("gamma") == ["gamma"]
    assert matching("pluginbeta") == []  # never across two rows
    assert matching("a", "zz") == []
