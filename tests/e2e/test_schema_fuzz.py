"""Fuzz every operation of our own ``/api/schema/`` against a live server.

Schemathesis generates valid (positive) and invalid (negative) requests for each
operation, as a superuser and as an ordinary user, with a fixed seed and
``PLUGHOST_FUZZ_EXAMPLES`` examples per operation and mode (5 by default). Every answer
must be documented: no 5xx, a documented status code, a body valid against its schema,
and invalid input refused with a 4xx. The server has the samples loaded and installs
switched off (no fuzzed package name may reach an index).

Two rules the schema cannot state are checked as such: a NUL in the URL is one 400, and a
reserved key as ``{plugin}`` (``/api/plugins/settings/``) reaches the host's own endpoint.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.transport import Response

from plughost.core.definition import RESERVED_KEYS
from tests.e2e.conftest import ServerFactory
from tests.e2e.servers import Server, plughost_command, server_environment

pytestmark = pytest.mark.soak

EXAMPLES = int(os.environ.get("PLUGHOST_FUZZ_EXAMPLES", "5"))
USER = "fuzz-user"
PASSWORD = "fuzz-user-password"
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Rules the contract's schema cannot state (its components are fixed): (operation, failure).
BEYOND_THE_SCHEMA = {
    # The contract types `confirm` as a boolean; only `true` installs (InvenTree's rule).
    ("POST /api/plugins/install/", "RejectedPositiveData"),
}


@dataclass
class Tally:
    """What the fuzzer sent, and what failed."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def fail(self, label: str, mode: str, exc: BaseException) -> None:
        """Keep the first example of each kind of failure of each operation and mode."""
        parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
        for part in parts:
            if (label, type(part).__name__) in BEYOND_THE_SCHEMA:
                continue
            self.failures.setdefault((label, mode, type(part).__name__), str(exc)[:3000])


def create_user(server: Server) -> None:
    subprocess.run(
        [*plughost_command(), "user", "create", USER, "--password", PASSWORD],
        env=server_environment(server.data_dir, server.database_url, {}),
        check=True,
        capture_output=True,
    )


def token(server: Server, auth: tuple[str, str]) -> str:
    response = requests.get(server.url("/api/user/token/"), auth=auth, timeout=10)
    response.raise_for_status()
    key: str = response.json()["token"]
    return key


def send(
    case: schemathesis.Case,
    mode: str,
    headers: dict[str, str],
    tally: Tally,
    session: requests.Session,
) -> None:
    """Send one case and check its answer; keep what fails."""
    tally.cases += 1
    rule = _rule_beyond_the_schema(case)
    if rule is not None:  # checked by its own rule, not against this operation's schema
        name, holds = rule
        response = case.call(headers=headers, session=session)
        tally.statuses[response.status_code] += 1
        if not holds(response):
            answer = f"{response.status_code} {response.headers} {response.text[:500]}"
            failure = AssertionError(f"{name}: {answer} for {response.request.url}")
            tally.fail(case.operation.label, mode, failure)
        return
    try:
        response = case.call_and_validate(headers=headers, session=session)
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected
        tally.fail(case.operation.label, mode, exc)
        return
    tally.statuses[response.status_code] += 1


NUL_REFUSED = {"detail": "The URL contains a NUL character (%00)."}
Rule = tuple[str, Callable[[Response], bool]]


def _rule_beyond_the_schema(case: schemathesis.Case) -> Rule | None:
    """The rule ``case`` falls under that the schema cannot state, if any.

    A NUL anywhere in the URL is one 400, before any view runs (the schema's strings cannot
    exclude it). ``/api/plugins/settings/`` and the like are the host's own endpoints, not
    a plugin's (no plugin may take a reserved key): they answer as themselves, a 405 for a
    method they lack included; checked there: a JSON answer, no 5xx.
    """
    values: list[object] = [*(case.path_parameters or {}).values()]
    for value in (case.query or {}).values():
        values.extend(value if isinstance(value, list) else [value])
    if any("\x00" in str(value) for value in values):
        return "not the NUL refusal", _is_nul_refusal
    if (case.path_parameters or {}).get("plugin") in RESERVED_KEYS:
        return "not a JSON answer of the host's endpoint", _is_json_answer
    return None


def _is_nul_refusal(response: Response) -> bool:
    return (
        response.status_code == 400 and _is_json_answer(response) and response.json() == NUL_REFUSED
    )


def _is_json_answer(response: Response) -> bool:
    types = {name.lower(): values for name, values in response.headers.items()}
    json_body = any(value.startswith("application/json") for value in types.get("content-type", []))
    return response.status_code < 500 and json_body


def sender(
    mode: str, headers: dict[str, str], tally: Tally, session: requests.Session
) -> Callable[[schemathesis.Case], None]:
    """Return the test function hypothesis calls with each case."""

    def run(case: schemathesis.Case) -> None:
        send(case, mode, headers, tally, session)

    return run


def fuzz(server: Server, key: str, tally: Tally) -> None:
    schema = schemathesis.openapi.from_url(server.url("/api/schema/"))
    headers = {"Authorization": f"Token {key}"}
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in MODES:
            run = given(case=operation.as_strategy(generation_mode=mode))(
                sender(str(mode), headers, tally, session)
            )
            bounded = settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=list(HealthCheck),
            )(run)
            try:
                bounded()
            except Unsatisfiable:  # nothing to make invalid (an operation without input)
                assert mode is GenerationMode.NEGATIVE, operation.label


def test_every_operation_answers_as_documented(server_factory: ServerFactory) -> None:
    server = server_factory(
        env={
            "PLUGHOST_SAMPLE_PLUGINS": "1",
            "PLUGHOST_PLUGIN_NOINSTALL": "1",
            # Schemathesis sends bad credentials on purpose; the limit has its own tests.
            "PLUGHOST_AUTH_FAILURE_LIMIT": "0",
        }
    )
    create_user(server)
    tally = Tally()

    fuzz(server, token(server, (USER, PASSWORD)), tally)
    fuzz(server, token(server, server.admin_auth), tally)

    print(f"schema fuzz: {tally.cases} cases, statuses {dict(sorted(tally.statuses.items()))}")
    report = [f"{' '.join(key)}:\n{example}" for key, example in tally.failures.items()]
    assert not report, f"{len(report)} kinds of failure:\n\n" + "\n\n".join(report)
    assert not [code for code in tally.statuses if code >= 500]
    assert tally.cases >= 2 * len(MODES) * EXAMPLES
