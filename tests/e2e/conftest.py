"""Real servers for end-to-end tests.

``server`` is one server for the whole session; a test that needs its own
(or several sharing one database) uses ``server_factory``. With
``PLUGHOST_TEST_POSTGRES=1`` each server gets a fresh PostgreSQL database,
created and dropped here; otherwise SQLite in its data dir.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.e2e.servers import Server, postgres_database, run_server, use_postgres

ServerFactory = Callable[..., Server]
LOG_LINES_ON_FAILURE = 60


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Add the tail of each server's log to a failed test's report."""
    report: pytest.TestReport = yield
    if report.failed:
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, Server) and value.log_path.exists():
                tail = value.log_path.read_text(errors="replace").splitlines()
                report.sections.append(
                    (f"server log ({name})", "\n".join(tail[-LOG_LINES_ON_FAILURE:]))
                )
    return report


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """Return ``start(data_dir=None, database_url=None, env=None, workers=1, args=()) -> Server``.

    Every server started is stopped, and every database created is dropped, after the test.
    Pass one ``database_url`` to several servers to have them share a database.
    """
    with ExitStack() as stack:
        count = 0

        def start(
            *,
            data_dir: Path | None = None,
            database_url: str | None = None,
            env: Mapping[str, str] | None = None,
            workers: int = 1,
            args: Sequence[str] = (),
        ) -> Server:
            nonlocal count
            count += 1
            if database_url is None and use_postgres():
                database_url = stack.enter_context(postgres_database())
            return stack.enter_context(
                run_server(
                    data_dir or tmp_path / f"server{count}" / "data",
                    database_url=database_url,
                    env=env,
                    workers=workers,
                    args=args,
                )
            )

        yield start


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the session: do not change state other tests see."""
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database()) if use_postgres() else None
        root = tmp_path_factory.mktemp("server")
        yield stack.enter_context(run_server(root / "data", database_url=database_url))
