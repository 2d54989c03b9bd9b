"""The dev server opens Django's admin as a local superuser, and only the dev server: a staging
console (or any server that requires logins) always shows the admin's login page."""

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(STAGING=False, REQUIRE_LOGIN=False)
def test_dev_mode_opens_the_admin_as_the_local_superuser(client: Client):
    response = client.get("/admin/")
    assert response.status_code == 200 and b"Site administration" in response.content
    dev = User.objects.get(username="dev")
    assert dev.is_superuser and dev.is_staff and not dev.has_usable_password()


@pytest.mark.parametrize(
    "mode",
    [
        {"STAGING": True, "REQUIRE_LOGIN": True},
        {"STAGING": True, "REQUIRE_LOGIN": False},
        {"STAGING": False, "REQUIRE_LOGIN": True},
    ],
    ids=["staging", "staging-open", "logins"],
)
def test_staging_or_required_logins_never_log_anyone_in(client: Client, mode: dict):
    with override_settings(**mode):
        response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not User.objects.filter(username="dev").exists()
    assert "_auth_user_id" not in client.session
