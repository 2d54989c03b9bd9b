"""Domain refusals answered the same way by every /api/ view: a view lets them raise, and the
NinjaAPI maps each class to its status once (each route still declares the status for OpenAPI)."""

from typing import Any

from ninja import NinjaAPI

from runs.timetravel import NothingToMove, TimeTravelOff

REFUSALS: dict[type[Exception], int] = {
    TimeTravelOff: 403,  # time travel is off on this console (DEVSERVER_TIME_TRAVEL)
    NothingToMove: 409,  # the run has no sleep, wait or hold to move now
}


def install(api: NinjaAPI) -> None:
    for refusal, status in REFUSALS.items():
        api.add_exception_handler(refusal, _answer_with(api, status))


def _answer_with(api: NinjaAPI, status: int) -> Any:
    def answer(request: Any, exc: Exception) -> Any:
        return api.create_response(request, {"error": str(exc)}, status=status)

    return answer
