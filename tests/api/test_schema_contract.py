"""Our generated OpenAPI document describes the contract's plugin API exactly.

Extra optional request fields (Plughost's install extensions) and documented error answers
(4xx, which the contract leaves out) are allowed; nothing of the contract may be missing or
different.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

CONTRACT = Path(__file__).parents[2].parent / "shared" / "spec" / "openapi-plugins-v198.yaml"
EXTENSIONS = {
    "PluginConfigInstall": {"dry_run", "allow_host_changes"},
    "PluginRegistryStatus": {"registry_version", "runtime_errors", "nodes"},
    "PluginActivate": {"restart_required"},
    "PatchedPluginActivate": {"restart_required"},
}


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    if not CONTRACT.is_file():
        pytest.fail(f"the contract is missing: {CONTRACT}")
    loaded: dict[str, Any] = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def ours(client: Client) -> dict[str, Any]:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    loaded: dict[str, Any] = yaml.safe_load(response.content)
    return loaded


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): operation
        for path, item in document["paths"].items()
        if path.startswith("/api/plugins/")
        for method, operation in item.items()
    }


def json_schema(part: dict[str, Any] | None) -> Any:
    return (part or {}).get("content", {}).get("application/json", {}).get("schema")


@pytest.mark.django_db
def test_every_contract_operation_is_served_with_its_id(
    contract: dict[str, Any], ours: dict[str, Any]
) -> None:
    theirs = operations(contract)
    mine = operations(ours)

    assert set(theirs) <= set(mine)
    assert len(theirs) == 20
    for key, operation in theirs.items():
        assert mine[key]["operationId"] == operation["operationId"], key


@pytest.mark.django_db
def test_parameters_responses_and_bodies_match(
    contract: dict[str, Any], ours: dict[str, Any]
) -> None:
    mine = operations(ours)
    for key, operation in operations(contract).items():
        served = mine[key]
        names = sorted((p["in"], p["name"]) for p in operation.get("parameters", []))
        assert sorted((p["in"], p["name"]) for p in served.get("parameters", [])) == names, key
        # Every answer of the contract; beyond it only documented errors (4xx), never a 5xx.
        assert set(operation["responses"]) <= set(served["responses"]), key
        extra = set(served["responses"]) - set(operation["responses"])
        assert all(400 <= int(code) < 500 for code in extra), (key, extra)
        for code, response in operation["responses"].items():
            assert json_schema(served["responses"][code]) == json_schema(response), (key, code)
        assert json_schema(served.get("requestBody")) == json_schema(
            operation.get("requestBody")
        ), key
        assert served["security"] == operation["security"], key


@pytest.mark.django_db
def test_component_schemas_match(contract: dict[str, Any], ours: dict[str, Any]) -> None:
    mine = ours["components"]["schemas"]
    for name, schema in contract["components"]["schemas"].items():
        assert name in mine, name
        served = dict(mine[name])
        extra = EXTENSIONS.get(name, set())
        if extra:
            properties = dict(served["properties"])
            assert extra <= set(properties), name
            assert not extra & set(served.get("required", [])), name
            served["properties"] = {k: v for k, v in properties.items() if k not in extra}
        assert served == schema, name


@pytest.mark.django_db
def test_security_schemes_match(contract: dict[str, Any], ours: dict[str, Any]) -> None:
    assert ours["components"]["securitySchemes"] == contract["components"]["securitySchemes"]
