"""Endpoints that plugin capabilities add: actions, exchange rates, navigation links."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plughost.api.capability_serializers import (
    CURRENCY_CODE,
    ActionResponseSerializer,
    ActionSerializer,
    ExchangeRatesSerializer,
    ExchangeRefreshSerializer,
    PluginNavigationSerializer,
    currency_code,
)
from plughost.api.parsers import StrictJSONParser
from plughost.api.permissions import ReadAuthenticatedWriteSuperuser
from plughost.api.plugin_urls import reverse_plugin_url
from plughost.api.schema import error_response
from plughost.services import actions, currency, navigation
from plughost.services.registry import current_registry

PLUGIN_PATH = OpenApiParameter("plugin", str, OpenApiParameter.PATH)


class ActionPluginView(APIView):
    """Perform an action of an ActionMixin plugin (InvenTree's ``/api/action/``).

    Always answers 200: with the plugin's ``{action, result, info}``, or with an ``error``.
    """

    permission_classes = (IsAuthenticated,)
    # JSON only: ``data`` is a JSON value, which a form body cannot carry (and a form body
    # that is not an object would otherwise read as an empty one).
    parser_classes = (StrictJSONParser,)

    @extend_schema(
        operation_id="action_create",
        request=ActionSerializer,
        responses={
            200: ActionResponseSerializer,
            502: error_response("502", "The plugin's code raised."),
        },
    )
    def post(self, request: Request) -> Response:
        """Hand ``action`` and ``data`` to the active plugin that answers ``action``."""
        # A body that is not an object, or an action that is not a string, is a 400; no
        # action at all is InvenTree's 200 with an error.
        serializer = ActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        registry = current_registry()
        return Response(
            actions.run_action(registry, body.get("action"), body.get("data"), request.user)
        )


def _rates_body(rates: currency.Rates) -> dict[str, object]:
    return {
        "base_currency": rates.base_currency,
        "exchange_rates": rates.exchange_rates,
        "updated": rates.updated,
        "plugin": rates.plugin,
    }


class CurrencyExchangeView(APIView):
    """Exchange rates from the active currency exchange plugin.

    - GET: the stored rates of ``base_currency`` (default: the last refreshed base)
    - POST: ask the plugin for fresh rates and store them (superusers)
    """

    permission_classes = (ReadAuthenticatedWriteSuperuser,)

    @extend_schema(
        operation_id="plugins_currency_exchange_retrieve",
        parameters=[
            OpenApiParameter(
                "base_currency", str, description="ISO 4217 code", pattern=CURRENCY_CODE.pattern
            )
        ],
        responses={200: ExchangeRatesSerializer},
    )
    def get(self, request: Request) -> Response:
        """Return the stored rates."""
        wanted = request.query_params.get("base_currency")
        try:
            base = currency_code(wanted) if wanted else currency.default_base_currency()
        except ValidationError as exc:  # a field error, like any other 400 body
            raise ValidationError({"base_currency": exc.detail}) from exc
        return Response(_rates_body(currency.get_rates(base)))

    @extend_schema(
        operation_id="plugins_currency_exchange_create",
        request=ExchangeRefreshSerializer,
        responses={
            200: ExchangeRatesSerializer,
            404: error_response("404", "No active plugin provides exchange rates."),
            502: error_response("502", "The exchange plugin failed or answered nonsense."),
        },
    )
    def post(self, request: Request) -> Response:
        """Refresh the rates of one base currency from the exchange plugin."""
        serializer = ExchangeRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rates = currency.refresh_rates(
            current_registry(),
            serializer.validated_data["base_currency"],
            serializer.validated_data["symbols"],
        )
        return Response(_rates_body(rates))


class PluginNavigationView(APIView):
    """The navigation tab and links of a NavigationMixin plugin."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="plugins_navigation_retrieve",
        parameters=[PLUGIN_PATH],
        responses={200: PluginNavigationSerializer},
    )
    def get(self, request: Request, plugin: str) -> Response:
        """Return the plugin's tab; no links when it is inactive or navigation is switched off."""
        registry = current_registry()
        tab = navigation.get_navigation(registry, plugin)
        return Response(
            {
                "plugin": tab.key,
                "name": tab.name,
                "icon": tab.icon,
                "links": [
                    {
                        "name": link.name,
                        "link": link.link,
                        "icon": link.icon,
                        "url": reverse_plugin_url(registry, tab.key, link.link),
                    }
                    for link in tab.links
                ],
            }
        )
