"""Time travel for local development: a sleeping run's sleep, or a waiting run's wait, ends
now. Done with the engine's own timers, never a status: the step's deadline (`wake_at`) moves
to now and the run's idle queue item becomes due now, so the executor wakes the sleep (or
resolves the wait as timed out, null) exactly as it would have at the deadline. Sending the
awaited event is in timetravel_send.py, releasing flow-control holds in timetravel_release.py."""

from django.conf import settings
from django.db import transaction

from foundation import clock

from . import queue
from .models import Step
from .protocol import Opcode
from .statuses import StepStatus


class TimeTravelOff(PermissionError):
    """DEVSERVER_TIME_TRAVEL is off (the default on a staging console)."""


class NothingToMove(ValueError):
    """Nothing left to end or release: the run woke, resumed or ended meanwhile, or the hold
    was released."""


WAITS = (Opcode.WAIT_FOR_EVENT, Opcode.WAIT_FOR_SIGNAL, Opcode.INVOKE)


def wake_now(run_id: str) -> list[str]:
    """End the run's sleeps now: the names of the steps moved. NothingToMove when none sleeps."""
    return _now(run_id, StepStatus.SLEEPING, (Opcode.SLEEP,), "sleeping")


def time_out_now(run_id: str) -> list[str]:
    """Time out the run's waits now (waitForEvent and signals resolve to null, an invoke fails
    with its timeout error): the names of the steps moved. NothingToMove when none waits."""
    return _now(run_id, StepStatus.WAITING, WAITS, "waiting")


def check_on() -> None:
    """TimeTravelOff unless DEVSERVER_TIME_TRAVEL allows it (every time-travel action asks)."""
    if not settings.TIME_TRAVEL:
        raise TimeTravelOff("time travel is off here (DEVSERVER_TIME_TRAVEL=false)")


def _now(run_id: str, status: str, opcodes: tuple[str, ...], what: str) -> list[str]:
    check_on()
    now = clock.now()
    with transaction.atomic():
        # Row locks on the run's parked steps: a resume racing us (its event arrived) either
        # finished first, so the step is no longer parked and we move nothing, or waits for us.
        steps = list(
            Step.objects.select_for_update()
            .filter(run_id=run_id, status=status, opcode__in=opcodes, wake_at__gt=now)
            .order_by("wake_at", "id")
        )
        if not steps:
            raise NothingToMove(f"run {run_id} has no step {what} to end now")
        Step.objects.filter(pk__in=[s.pk for s in steps]).update(wake_at=now)
        queue.wake_run(run_id)  # its idle items due now, dispatched after commit
    return [s.name for s in steps]
