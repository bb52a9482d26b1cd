"""Notifications reach the builtin methods (email, webhook) and NotificationMixin plugins."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from plughost.core.definition import RegistryError, Stage
from plughost.core.registry import Registry, empty_registry
from plughost.db.models import PluginConfig, SentNotice
from plughost.runtime import holder
from plughost.services import notifications, plugin_settings, plugins
from plughost.services.tasks import deliver_notification
from tests.db.worker_support import clear_queue, queued_calls
from tests.fixtures.receivers import Webhook

pytestmark = pytest.mark.django_db

CORE = "inventreecorenotificationsplugin"
DELIVER = notifications.DELIVER_TASK


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook() as server:
        yield server


@pytest.fixture
def staff(db: None) -> list[User]:
    return [
        User.objects.create_user("ops", email="ops@example.test", is_staff=True),
        User.objects.create_superuser("root", email="root@example.test"),
        User.objects.create_user("nomail", is_staff=True),
        User.objects.create_user(
            "former", email="former@example.test", is_staff=True, is_active=False
        ),
        User.objects.create_user("user", email="user@example.test"),
    ]


def set_core(**values: object) -> None:
    for setting, value in values.items():
        plugin_settings.update_setting(CORE, setting, value)


def test_notify_queues_one_delivery_per_notification_plugin(worker_registry: Registry) -> None:
    plugins.activate("notifyfixture")
    clear_queue()

    keys = notifications.notify("Install failed", "pip said no", package="demo")

    assert keys == [CORE, "notifyfixture"]
    assert queued_calls(DELIVER) == [
        (CORE, "Install failed", "pip said no", {"package": "demo"}),
        ("notifyfixture", "Install failed", "pip said no", {"package": "demo"}),
    ]


def test_the_builtin_plugin_sends_nothing_until_switched_on(worker_registry: Registry) -> None:
    result = deliver_notification(CORE, "Subject", "Body", {})

    assert result == "not sent: no method of this plugin is switched on"
    assert mail.outbox == []


@pytest.mark.usefixtures("staff")
def test_email_goes_to_active_staff_with_an_address(worker_registry: Registry) -> None:
    set_core(ENABLE_NOTIFICATION_EMAILS=True)

    assert deliver_notification(CORE, "Plugin failed", "Details", {}) == "sent"

    [message] = mail.outbox
    assert message.subject == "[plughost] Plugin failed"
    assert message.body == "Details"
    assert sorted(message.to) == ["ops@example.test", "root@example.test"]


def test_the_webhook_gets_slack_text(worker_registry: Registry, webhook: Webhook) -> None:
    set_core(ENABLE_NOTIFICATION_SLACK=True, NOTIFICATION_SLACK_URL=webhook.url)

    assert deliver_notification(CORE, "Plugin failed", "Details", {}) == "sent"

    assert webhook.bodies == [{"text": "*Plugin failed*\nDetails"}]
    assert webhook.headers[0]["Content-Type"] == "application/json"


def test_a_failing_method_does_not_stop_the_other_and_hides_the_url(
    worker_registry: Registry,
) -> None:
    with Webhook(status=500) as broken:
        set_core(
            ENABLE_NOTIFICATION_EMAILS=True,
            ENABLE_NOTIFICATION_SLACK=True,
            NOTIFICATION_SLACK_URL=broken.url,
        )
        User.objects.create_user("ops", email="ops@example.test", is_staff=True)

        with pytest.raises(ConnectionError, match="slack: HTTPError") as raised:
            deliver_notification(CORE, "Subject", "Body", {})

    assert "secret-token" not in str(raised.value)
    assert len(mail.outbox) == 1  # the email went out before the webhook failed


def test_notification_plugins_receive_the_notice(worker_registry: Registry) -> None:
    """NotificationMixin plugins get InvenTree's send_notification(target, category, users,
    context), so published InvenTree notification plugins work unchanged."""
    plugins.activate("notifyfixture")
    User.objects.create_user("boss", is_staff=True)
    User.objects.create_user("nobody")

    sent = deliver_notification(
        "notifyfixture", "Hello", "World", {"n": 1, "category": "plughost.install_failed"}
    )

    assert sent == "sent"
    metadata = PluginConfig.objects.get(key="notifyfixture").metadata
    assert metadata["events"] == [
        {
            "event": "Hello",
            "data": {
                "n": 1,
                "name": "Hello",
                "message": "World",
                "category": "plughost.install_failed",
                "users": ["boss"],
            },
        }
    ]


def test_a_notice_is_sent_once_a_day(worker_registry: Registry) -> None:
    clear_queue()

    assert notifications.notify_once("fp", "Subject", "Body")
    assert not notifications.notify_once("fp", "Subject", "Body")
    SentNotice.objects.update(sent=timezone.now() - timedelta(hours=25))
    assert notifications.notify_once("fp", "Subject", "Body")
    assert len(queued_calls(DELIVER)) == 2


def test_only_new_load_failures_are_notified(worker_registry: Registry) -> None:
    old = RegistryError(Stage.READY, "old", "boom")
    new = RegistryError(Stage.INIT, "new", "bang")
    refused = RegistryError(Stage.VERSION, "refused", "needs another host version")
    before = Registry(definitions={}, instances={}, errors=(old,))
    after = Registry(definitions={}, instances={}, errors=(old, new, refused))
    clear_queue()

    assert notifications.notify_new_errors(before, after) == 1
    # Another process seeing the same error for the first time does not repeat it.
    assert notifications.notify_new_errors(empty_registry(), after) == 1  # `old` is new there
    assert notifications.notify_new_errors(empty_registry(), after) == 0

    subjects = [call[1] for call in queued_calls(DELIVER)]
    assert subjects == ["Plugin 'new' failed to load", "Plugin 'old' failed to load"]
    assert holder.current().find_plugin(CORE) is not None


def test_install_and_node_notices(worker_registry: Registry) -> None:
    clear_queue()

    notifications.notify_install_succeeded("demo-plugin", "1.0", ["demo"])
    notifications.notify_install_failed("demo-plugin==2.0", "pip said no")
    assert notifications.notify_node_out_of_sync("node-a", "missing demo-plugin")
    assert not notifications.notify_node_out_of_sync("node-a", "missing demo-plugin")

    assert [call[1] for call in queued_calls(DELIVER)] == [
        "Plugin package demo-plugin installed",
        "Plugin install of demo-plugin==2.0 failed",
        "Node node-a is out of sync",
    ]
