"""Bodies that are not what their content type says are a 400, never read as empty."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClientFactory

pytestmark = pytest.mark.usefixtures("registry")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("645", "application/x-www-form-urlencoded"),
        ("full_reload=true&garbage", "application/x-www-form-urlencoded"),
        (
            "--b0\r\n645--b0--\r\n",
            "multipart/form-data; boundary=b0",
        ),
    ],
)
def test_a_body_that_is_not_a_form_is_400(
    api_client: ApiClientFactory, body: str, content_type: str
) -> None:
    response = api_client("superuser").generic(
        "POST", "/api/plugins/reload/", body, content_type=content_type
    )

    assert response.status_code == 400
    assert "parse error" in response.json()["detail"]


def test_a_real_form_still_works(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(
        "/api/plugins/reload/",
        "full_reload=true",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201
    assert response.json()["full_reload"] is True


def test_a_multipart_form_still_works(api_client: ApiClientFactory) -> None:
    response = api_client("superuser").post(
        "/api/plugins/reload/", {"collect_plugins": "true"}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["collect_plugins"] is True


@pytest.mark.parametrize("body", ["--b0--\r\n", "--b0--", "a preamble, ignored\r\n--b0--\r\n"])
def test_a_multipart_body_with_no_part_is_an_empty_form(
    api_client: ApiClientFactory, body: str
) -> None:
    # The closing delimiter alone: a form with no field, read as an empty form.
    response = api_client("superuser").generic(
        "POST", "/api/plugins/reload/", body, content_type="multipart/form-data; boundary=b0"
    )

    assert response.status_code == 201
    assert response.json() == {
        "full_reload": False,
        "force_reload": False,
        "collect_plugins": False,
    }


def test_action_takes_json_only(api_client: ApiClientFactory) -> None:
    response = api_client("user").post(
        "/api/action/", "action=simple", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
