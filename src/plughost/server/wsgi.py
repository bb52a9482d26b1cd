"""WSGI entry point: ``plughost.server.wsgi:application``.

Each server process (gunicorn imports this module in every worker) starts a watcher that
keeps its plugin registry in step with the other processes and nodes.
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plughost.server.settings")

application = get_wsgi_application()

from plughost.services.watcher import start_watcher  # noqa: E402 - needs Django set up

start_watcher()
