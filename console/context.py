"""Template context: whether the console asks for logins, and whether this user may act."""

from django.conf import settings
from django.http import HttpRequest

from .access import can_operate


def console(request: HttpRequest) -> dict[str, bool]:
    return {"require_login": settings.REQUIRE_LOGIN, "can_operate": can_operate(request)}
