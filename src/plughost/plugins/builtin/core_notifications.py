"""InvenTree's core notification methods: email to staff and a Slack-style webhook."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q

from plughost.core.plugin import InvenTreePlugin
from plughost.mixins import SettingsContentMixin, SettingsMixin

ENABLE_NOTIFICATION_EMAILS = "ENABLE_NOTIFICATION_EMAILS"
ENABLE_NOTIFICATION_SLACK = "ENABLE_NOTIFICATION_SLACK"
NOTIFICATION_SLACK_URL = "NOTIFICATION_SLACK_URL"
WEBHOOK_TIMEOUT_SECONDS = 10.0
SUBJECT_PREFIX = "[plughost] "

logger = logging.getLogger(__name__)


class InvenTreeCoreNotificationsPlugin(SettingsContentMixin, SettingsMixin, InvenTreePlugin):
    """Sends the host's notifications by email to staff users and to a Slack webhook.

    Both methods are off until switched on in this plugin's settings. The webhook URL is a
    protected setting: it is masked in the API and never logged.
    """

    NAME = "InvenTreeCoreNotificationsPlugin"
    TITLE = "InvenTree Core Notifications"
    AUTHOR = "InvenTree contributors"
    DESCRIPTION = "Integrated outgoing notificaton methods"
    VERSION = "1.0.0"

    SETTINGS = {
        ENABLE_NOTIFICATION_EMAILS: {
            "name": "Enable email notifications",
            "description": "Allow sending of emails for event notifications",
            "default": False,
            "validator": bool,
        },
        ENABLE_NOTIFICATION_SLACK: {
            "name": "Enable slack notifications",
            "description": "Allow sending of slack channel messages for event notifications",
            "default": False,
            "validator": bool,
        },
        NOTIFICATION_SLACK_URL: {
            "name": "Slack incoming webhook url",
            "description": "URL that is used to send messages to a slack channel",
            "protected": True,
        },
    }

    def send_notification(self, subject: str, message: str, **context: object) -> bool:
        """Send by every method switched on; return whether any sent.

        Raises ConnectionError naming each method that failed, after trying them all.
        """
        failures: list[str] = []
        sent = False
        if self.get_setting(ENABLE_NOTIFICATION_EMAILS) is True:
            try:
                sent = self.send_email(subject, message) or sent
            except OSError as exc:  # smtplib's errors are OSErrors too
                failures.append(f"email: {type(exc).__name__}: {exc}")
        if self.get_setting(ENABLE_NOTIFICATION_SLACK) is True:
            try:
                sent = self.send_slack(subject, message) or sent
            except OSError as exc:
                # The error text names no URL (the webhook URL is a secret).
                failures.append(f"slack: {type(exc).__name__}: {exc}")
        if failures:
            raise ConnectionError("Notification not sent by " + "; ".join(failures))
        del context
        return sent

    def send_email(self, subject: str, message: str) -> bool:
        """Email every active staff user who has an address; return whether any was sent."""
        users: Any = get_user_model().objects
        recipients = sorted(
            set(
                users.filter(Q(is_staff=True) | Q(is_superuser=True), is_active=True)
                .exclude(email="")
                .values_list("email", flat=True)
            )
        )
        if not recipients:
            logger.info("no staff user has an email address; notification not emailed")
            return False
        send_mail(SUBJECT_PREFIX + subject, message, None, recipients, fail_silently=False)
        return True

    def send_slack(self, subject: str, message: str) -> bool:
        """POST ``{"text": ...}`` to the webhook; return False when no URL is set."""
        url = str(self.get_setting(NOTIFICATION_SLACK_URL) or "")
        if not url:
            logger.info("NOTIFICATION_SLACK_URL is empty; notification not posted")
            return False
        if not url.startswith(("http://", "https://")):
            raise ConnectionError("NOTIFICATION_SLACK_URL is not an http(s) URL")
        body = json.dumps({"text": f"*{subject}*\n{message}"}).encode()
        request = urllib.request.Request(
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
        return True
