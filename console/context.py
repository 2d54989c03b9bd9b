"""Template context: whether the console asks for logins, whether this user may act, and whether
time travel (wake a sleep, time out a wait) is on."""

from django.conf import settings
from django.http import HttpRequest

from .access import can_operate


def console(request: HttpRequest) -> dict[str, bool]:
    return {
        "require_login": settings.REQUIRE_LOGIN,
        "can_operate": can_operate(request),
        "time_travel": settings.TIME_TRAVEL,
    }
