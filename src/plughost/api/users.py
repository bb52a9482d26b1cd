"""Routes under ``/api/user/``: API tokens, the caller, and read-only users and groups.

The ``inventree`` client logs in with ``user/me/`` and ``user/token/``. The user and group
lists are served because model-type plugin settings (``auth.user``, ``auth.group``) point
clients at them through their ``api_url``. As in InvenTree, any authenticated user may list
users and groups.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.contrib.auth.models import Group, User
from django.db.models import Model
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.generics import GenericAPIView, RetrieveAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from plughost.api.pagination import EnvelopePagination

M = TypeVar("M", bound=Model)


class UserTokenSerializer(serializers.Serializer[Any]):
    """The caller's API token."""

    token = serializers.CharField(read_only=True)


class MeUserSerializer(serializers.ModelSerializer[User]):
    """The authenticated user."""

    # Django's field allows blank; the schema must not promise an address (format: email).
    email = serializers.CharField(read_only=True, help_text="Email address (may be empty)")

    class Meta:
        model = User
        fields = ("pk", "username", "first_name", "last_name", "email", "is_staff", "is_superuser")
        read_only_fields = fields


class UserSerializer(serializers.ModelSerializer[User]):
    """A user, as the user list shows it."""

    email = serializers.CharField(read_only=True, help_text="Email address (may be empty)")

    class Meta:
        model = User
        fields = (
            "pk",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
        )
        read_only_fields = fields


class GroupSerializer(serializers.ModelSerializer[Group]):
    """A group of users."""

    class Meta:
        model = Group
        fields = ("pk", "name")
        read_only_fields = fields


class UserTokenView(APIView):
    """Return the caller's API token, creating it on first use.

    Log in with HTTP basic auth (or a session) to get a token. InvenTree's ``name`` query
    parameter is accepted and ignored: each user has one token.
    """

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="user_token_retrieve",
        parameters=[
            OpenApiParameter("name", str, description="Accepted for compatibility; ignored.")
        ],
        responses=UserTokenSerializer,
    )
    def get(self, request: Request) -> Response:
        """Return ``{"token": <key>}`` for the caller."""
        token, _ = Token.objects.get_or_create(user=cast(User, request.user))
        return Response({"token": token.key})


class MeView(RetrieveAPIView[User]):
    """Return the authenticated user."""

    serializer_class = MeUserSerializer
    permission_classes = (IsAuthenticated,)

    def get_object(self) -> User:
        """Return the caller."""
        return cast(User, self.request.user)

    @extend_schema(operation_id="user_me_retrieve")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Return the authenticated user."""
        return super().get(request, *args, **kwargs)


class EnvelopeListView(GenericAPIView[M]):
    """A read-only list answered in the page envelope, whatever the query string."""

    pagination_class = EnvelopePagination
    permission_classes = (IsAuthenticated,)

    def list_response(self, request: Request) -> Response:
        """Return one page of ``get_queryset()`` in the envelope."""
        paginator = EnvelopePagination()
        page = paginator.paginate_items(self.get_queryset(), request)
        return paginator.envelope(self.get_serializer(page, many=True).data)


class UserList(EnvelopeListView[User]):
    """List users (any authenticated user may)."""

    serializer_class = UserSerializer
    queryset = User.objects.order_by("pk")

    @extend_schema(operation_id="user_list", responses=UserSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Return a page of users."""
        return self.list_response(request)


class UserDetail(RetrieveAPIView[User]):
    """Return one user."""

    serializer_class = UserSerializer
    permission_classes = (IsAuthenticated,)
    queryset = User.objects.all()

    @extend_schema(operation_id="user_retrieve")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Return one user."""
        return super().get(request, *args, **kwargs)


class GroupList(EnvelopeListView[Group]):
    """List groups (any authenticated user may)."""

    serializer_class = GroupSerializer
    queryset = Group.objects.order_by("pk")

    @extend_schema(operation_id="user_group_list", responses=GroupSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Return a page of groups."""
        return self.list_response(request)


class GroupDetail(RetrieveAPIView[Group]):
    """Return one group."""

    serializer_class = GroupSerializer
    permission_classes = (IsAuthenticated,)
    queryset = Group.objects.all()

    @extend_schema(operation_id="user_group_retrieve")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Return one group."""
        return super().get(request, *args, **kwargs)


urlpatterns: list[URLPattern] = [
    path("token/", UserTokenView.as_view(), name="api-user-token"),
    path("me/", MeView.as_view(), name="api-user-me"),
    path("group/", GroupList.as_view(), name="api-group-list"),
    path("group/<int:pk>/", GroupDetail.as_view(), name="api-group-detail"),
    path("<int:pk>/", UserDetail.as_view(), name="api-user-detail"),
    path("", UserList.as_view(), name="api-user-list"),
]
