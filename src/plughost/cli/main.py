"""The ``plughost`` command: serve, manage users and tokens, run Django commands."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import django
from django.core.management import execute_from_command_line
from django.core.management.base import CommandError

from plughost.cli.accounts import create_user, get_or_create_token
from plughost.cli.scaffold import ScaffoldError, scaffold
from plughost.cli.serve import DEFAULT_BIND, DEFAULT_WORKERS, parse_bind, positive_int, serve
from plughost.cli.worker import run_worker, start_worker_beside_server

SETTINGS_MODULE = "plughost.server.settings"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``plughost`` command."""
    parser = argparse.ArgumentParser(prog="plughost", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser("serve", help="migrate, ensure an admin, run gunicorn")
    serve_parser.add_argument("--bind", type=parse_bind, default=DEFAULT_BIND, metavar="HOST:PORT")
    serve_parser.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N")
    serve_parser.add_argument(
        "--with-worker",
        action="store_true",
        help="also run a task worker (plughost worker), stopped with the server",
    )

    worker_parser = commands.add_parser(
        "worker", help="run plugin tasks, events and notifications (the django-q2 cluster)"
    )
    # Set by `serve --with-worker`: stop when the server process is gone.
    worker_parser.add_argument("--parent-pid", type=positive_int, help=argparse.SUPPRESS)

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    user_create = user.add_parser("create", help="create a user")
    user_create.add_argument("name")
    user_create.add_argument("--password", required=True)
    user_create.add_argument("--staff", action="store_true", help="may change plugin settings")
    user_create.add_argument("--superuser", action="store_true", help="may do anything")

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    token.add_parser("create", help="print a user's API token, creating it").add_argument("name")

    new_plugin = commands.add_parser(
        "new-plugin", help="write a new plugin package (entry point, settings, a test)"
    )
    new_plugin.add_argument("name", help="the plugin's name, e.g. hello-world")
    new_plugin.add_argument(
        "--directory", type=Path, default=Path(), metavar="DIR", help="where to create it (.)"
    )

    # Only for --help: main() hands `manage ...` to Django before parsing.
    commands.add_parser("manage", help="run a Django management command (manage help lists them)")
    # Only for --help as well: main() hands `bench ...` to the checkout's benchmarks package.
    commands.add_parser(
        "bench", help="run the benchmark of a source checkout (python -m benchmarks --help)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``plughost`` command and return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    if args[:1] == ["manage"]:
        execute_from_command_line(["plughost manage", *args[1:]])
        return 0
    if args[:1] == ["bench"]:
        return run_benchmark(args[1:])
    options = build_parser().parse_args(args)
    if options.command == "new-plugin":  # writes files only: no Django, no data dir
        return _new_plugin(options.name, options.directory)
    django.setup()
    try:
        _run(options)
    except CommandError as error:
        print(f"plughost: error: {error}", file=sys.stderr)
        return 1
    return 0


def find_checkout() -> Path | None:
    """Return the source checkout this package runs from (it has ``benchmarks/``), or None."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "benchmarks" / "__main__.py").is_file() and (folder / "src").is_dir():
            return folder
    return None


def run_benchmark(args: Sequence[str]) -> int:
    """Run ``python -m benchmarks ARGS`` from the source checkout; return its exit status.

    The benchmark lives beside the package in the repository, not in it: an installed
    plughost (from a wheel) has no benchmark and says so.
    """
    checkout = find_checkout()
    if checkout is None:
        print(
            "plughost: error: the benchmark ships with the source checkout, not with the "
            "installed package; run `make bench` in a clone of the repository.",
            file=sys.stderr,
        )
        return 2
    return subprocess.call([sys.executable, "-m", "benchmarks", *args], cwd=checkout)


def _run(options: argparse.Namespace) -> None:
    if options.command == "serve":
        serve(
            options.bind,
            options.workers,
            before_exec=start_worker_beside_server if options.with_worker else None,
        )
    elif options.command == "worker":
        run_worker(parent_pid=options.parent_pid)
    elif options.command == "user":
        user = create_user(
            options.name, options.password, staff=options.staff, superuser=options.superuser
        )
        print(f"Created user {user.username!r}.")
    elif options.command == "token":
        print(get_or_create_token(options.name))


def _new_plugin(name: str, directory: Path) -> int:
    try:
        root = scaffold(name, directory)
    except ScaffoldError as error:
        print(f"plughost: error: {error}", file=sys.stderr)
        return 1
    print(f"Created {root}. Next: cd {root} && pip install -e '.[test]' && pytest")
    return 0


if __name__ == "__main__":
    sys.exit(main())
