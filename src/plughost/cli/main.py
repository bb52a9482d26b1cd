"""The ``plughost`` command: serve, manage users and tokens, run Django commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import django
from django.core.management import execute_from_command_line
from django.core.management.base import CommandError

from plughost.cli.accounts import create_user, get_or_create_token
from plughost.cli.serve import DEFAULT_BIND, DEFAULT_WORKERS, parse_bind, positive_int, serve

SETTINGS_MODULE = "plughost.server.settings"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``plughost`` command."""
    parser = argparse.ArgumentParser(prog="plughost", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser("serve", help="migrate, ensure an admin, run gunicorn")
    serve_parser.add_argument("--bind", type=parse_bind, default=DEFAULT_BIND, metavar="HOST:PORT")
    serve_parser.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N")

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

    # Only for --help: main() hands `manage ...` to Django before parsing.
    commands.add_parser("manage", help="run a Django management command (manage help lists them)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``plughost`` command and return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    if args[:1] == ["manage"]:
        execute_from_command_line(["plughost manage", *args[1:]])
        return 0
    options = build_parser().parse_args(args)
    django.setup()
    try:
        _run(options)
    except CommandError as error:
        print(f"plughost: error: {error}", file=sys.stderr)
        return 1
    return 0


def _run(options: argparse.Namespace) -> None:
    if options.command == "serve":
        serve(options.bind, options.workers)
    elif options.command == "user":
        user = create_user(
            options.name, options.password, staff=options.staff, superuser=options.superuser
        )
        print(f"Created user {user.username!r}.")
    elif options.command == "token":
        print(get_or_create_token(options.name))


if __name__ == "__main__":
    sys.exit(main())
