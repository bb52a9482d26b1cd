"""Gunicorn settings for ``plughost serve`` (bind and workers come from the command line)."""

from __future__ import annotations

import os

from plughost.server.config import read_config

_config = read_config(os.environ)

wsgi_app = "plughost.server.wsgi:application"
# Threads keep the API answering while one request waits on a plugin install.
worker_class = "gthread"
threads = 4
# An install request may run pip for PLUGHOST_INSTALL_TIMEOUT seconds: never kill it first.
timeout = int(_config.install_timeout) + 30
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
loglevel = "debug" if _config.debug else "info"
# Gunicorn's control socket sits at one fixed path per user, so two servers
# (say, e2e tests on different ports) would fight over it. We do not use it.
control_socket_disable = True
