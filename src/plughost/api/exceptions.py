"""The single table from error to HTTP status and body.

Plugin errors (``plughost.core.errors``) and Django validation errors become 4xx bodies in
InvenTree's shapes; anything unmapped is a 500, logged, and a 500 is a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from plughost.core.errors import (
    IllegalStateChangeError,
    InstallBusyError,
    InstallConflictError,
    InstallDisabledError,
    InstallError,
    InstallInputError,
    InvalidSettingValueError,
    PluginCallError,
    PluginError,
    PluginNotFoundError,
    RegistryNotReadyError,
    UnknownSettingError,
)

logger = logging.getLogger(__name__)

Body = dict[str, Any]


def _not_found(exc: PluginError) -> tuple[int, Body]:
    return status.HTTP_404_NOT_FOUND, {"detail": exc.message}


def _invalid_setting(exc: PluginError) -> tuple[int, Body]:
    assert isinstance(exc, InvalidSettingValueError)
    return status.HTTP_400_BAD_REQUEST, {"value": [f"{exc.setting}: {exc.message}"]}


def _illegal_state(exc: PluginError) -> tuple[int, Body]:
    return status.HTTP_400_BAD_REQUEST, {"detail": [exc.message]}


def _install_input(exc: PluginError) -> tuple[int, Body]:
    assert isinstance(exc, InstallInputError)
    return status.HTTP_400_BAD_REQUEST, {exc.field: [exc.message]}


def _install_busy(exc: PluginError) -> tuple[int, Body]:
    return status.HTTP_409_CONFLICT, {"detail": exc.message}


def _install_disabled(exc: PluginError) -> tuple[int, Body]:
    return status.HTTP_403_FORBIDDEN, {"detail": exc.message}


def _install_conflict(exc: PluginError) -> tuple[int, Body]:
    assert isinstance(exc, InstallConflictError)
    return status.HTTP_400_BAD_REQUEST, {
        "non_field_errors": [exc.message],
        "conflicts": exc.conflicts,
    }


def _install_failed(exc: PluginError) -> tuple[int, Body]:
    assert isinstance(exc, InstallError)
    return status.HTTP_400_BAD_REQUEST, {"non_field_errors": [exc.message, *exc.output]}


def _plugin_failed(exc: PluginError) -> tuple[int, Body]:
    # The host is fine; a plugin it called is not (502: a bad answer from "upstream").
    return status.HTTP_502_BAD_GATEWAY, {"detail": exc.message}


def _not_ready(exc: PluginError) -> tuple[int, Body]:
    return status.HTTP_503_SERVICE_UNAVAILABLE, {"detail": exc.message}


# Most specific first: the first matching class decides.
ERROR_TABLE: tuple[tuple[type[PluginError], Callable[[PluginError], tuple[int, Body]]], ...] = (
    (UnknownSettingError, _not_found),
    (PluginNotFoundError, _not_found),
    (InvalidSettingValueError, _invalid_setting),
    (IllegalStateChangeError, _illegal_state),
    (InstallInputError, _install_input),
    (InstallBusyError, _install_busy),
    (InstallConflictError, _install_conflict),
    (InstallDisabledError, _install_disabled),
    (InstallError, _install_failed),
    (RegistryNotReadyError, _not_ready),
    (PluginCallError, _plugin_failed),
)


def _django_validation_body(exc: DjangoValidationError) -> Body:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): [str(m) for m in value]
            for key, value in exc.message_dict.items()
        }
    return {"non_field_errors": [str(message) for message in exc.messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn any exception raised in a view into a response (DRF's hook)."""
    if isinstance(exc, PluginError):
        for error_class, render in ERROR_TABLE:
            if isinstance(exc, error_class):
                code, body = render(exc)
                return Response(body, status=code)
    if isinstance(exc, DjangoValidationError):
        return Response(_django_validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    request: Request | None = context.get("request")
    path = request.path if request is not None else ""
    logger.error("Internal Server Error: %s", path, exc_info=exc)
    return Response(
        {
            "error": type(exc).__name__,
            "error_class": str(type(exc)),
            "detail": "Error details can be found in the server log",
            "path": path,
            "status_code": 500,
        },
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
