"""Login throttling: after DEVSERVER_LOGIN_FAILURE_LIMIT failed logins for one user name from
one address, that pair is locked out (429), even with the right password, for the cool-off;
other users can still log in."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings


@pytest.fixture
def operator() -> User:
    call_command("console_user", "ada", "--password", "right-password", "--operator")
    call_command("console_user", "grace", "--password", "her-password")
    return User.objects.get(username="ada")


def _login(client: Client, username: str, password: str) -> int:
    answer = client.post("/accounts/login/", {"username": username, "password": password})
    return answer.status_code


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failed_logins_lock_the_user_out_then_others_still_log_in(operator: User):
    client = Client()
    assert [_login(client, "ada", f"guess-{n}") for n in range(2)] == [200, 200]  # form again
    assert _login(client, "ada", "guess-3") == 429  # the limit reached: locked out
    assert _login(client, "ada", "right-password") == 429  # even with the right password
    assert _login(Client(), "grace", "her-password") == 302  # another user is not affected


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_successful_login_resets_the_count(operator: User):
    client = Client()
    assert _login(client, "ada", "guess-1") == 200
    assert _login(client, "ada", "right-password") == 302
    assert _login(Client(), "ada", "guess-2") == 200
    assert _login(Client(), "ada", "guess-3") == 200  # two failures since the success: not yet
