"""The real ``inventree`` Python client (0.14) connects to a real server and reads plugins."""

from __future__ import annotations

from inventree.api import InvenTreeAPI
from inventree.plugin import InvenTreePlugin
from inventree.user import User

from tests.e2e.servers import Server


def connect(server: Server) -> InvenTreeAPI:
    return InvenTreeAPI(
        server.base_url, username=server.admin_user, password=server.admin_password, timeout=10
    )


def test_client_logs_in_with_a_password_and_gets_a_token(server: Server) -> None:
    api = connect(server)

    assert api.connected
    assert api.api_version == 198
    assert api.server_details["server"] == "InvenTree"
    assert api.token


def test_client_connects_with_a_token_alone(server: Server) -> None:
    token = connect(server).token

    api = InvenTreeAPI(server.base_url, token=token, timeout=10)

    assert api.username == server.admin_user


def test_client_lists_the_loaded_plugins(server: Server) -> None:
    api = connect(server)

    keys = {plugin.pk for plugin in InvenTreePlugin.list(api)}
    loaded = {plugin["slug"] for plugin in api.get("/")["active_plugins"]}

    assert loaded
    assert loaded <= keys


def test_client_lists_users(server: Server) -> None:
    api = connect(server)

    usernames = [user.username for user in User.list(api)]

    assert server.admin_user in usernames
