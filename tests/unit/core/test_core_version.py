"""Version bounds: PEP 440 comparison of MIN_VERSION / MAX_VERSION with the host's version."""

from __future__ import annotations

import pytest
from plugin_factory import define, make_plugin

from plughost.core.definition import Stage
from plughost.core.errors import IncompatibleVersionError, InvalidPluginError
from plughost.core.version import check_version_bounds, parse_version


def check(host: str, low: str | None = None, high: str | None = None) -> None:
    check_version_bounds(key="demo", host_version=host, min_version=low, max_version=high)


@pytest.mark.parametrize(
    ("host", "low", "high"),
    [
        ("0.1.0", "0.1.0", "0.1.3"),
        ("0.1.3", "0.1.0", "0.1.3"),
        ("0.16.0", None, None),
        ("0.16.0", "0.15", None),
        ("0.16.0", None, "1.0.0"),
        ("10.1.0", "2.0.0", None),
    ],
)
def test_bounds_admit(host: str, low: str | None, high: str | None) -> None:
    check(host, low, high)


@pytest.mark.parametrize(
    ("host", "low", "high", "message"),
    [
        ("0.0.3", "0.1.0", "0.1.3", ">= 0.1.0"),
        ("0.1.4", "0.1.0", "0.1.3", "<= 0.1.3"),
        ("0.16.0", "0.1.0", "0.1.3", "<= 0.1.3"),
        ("0.1.0", "10.1.0", None, ">= 10.1.0"),
        ("0.16.0", None, "0.9.0", "<= 0.9.0"),
    ],
)
def test_bounds_exclude(host: str, low: str | None, high: str | None, message: str) -> None:
    with pytest.raises(IncompatibleVersionError, match=message) as caught:
        check(host, low, high)
    assert caught.value.key == "demo"
    assert "this host is " + host in caught.value.message


def test_ten_is_not_read_as_zero() -> None:
    # InvenTree 198's regex read "10.1.0" as "0.1.0"; PEP 440 compares it as ten.
    with pytest.raises(IncompatibleVersionError):
        check("0.16.0", "10.1.0")
    check("10.1.0", None, "10.1.0")
    assert parse_version("10.1.0") > parse_version("9.99.99")


def test_an_invalid_bound_is_an_invalid_plugin() -> None:
    with pytest.raises(InvalidPluginError, match="MIN_VERSION 'banana' is not a valid version"):
        check("0.16.0", "banana")


def test_an_incompatible_plugin_is_defined_but_marked_incompatible() -> None:
    definitions = define(make_plugin("Old", MIN_VERSION="0.1.0", MAX_VERSION="0.1.3"))
    assert definitions.by_key["old"].compatible is False
    [error] = definitions.errors
    assert (error.stage, error.name) == (Stage.VERSION, "old")
    assert "<= 0.1.3" in error.message


def test_an_invalid_bound_is_recorded_under_version() -> None:
    definitions = define(make_plugin("Weird", MAX_VERSION="not.a.version"))
    assert definitions.by_key["weird"].compatible is False
    [error] = definitions.errors
    assert (error.stage, error.name) == (Stage.VERSION, "weird")
    assert "MAX_VERSION 'not.a.version'" in error.message


def test_compatible_bounds_record_nothing() -> None:
    definitions = define(make_plugin("Fine", MIN_VERSION="0.15.0", MAX_VERSION="1.0"))
    assert definitions.by_key["fine"].compatible is True
    assert definitions.errors == ()
