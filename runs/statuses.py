"""The engine's vocabulary, defined once: statuses of runs, steps and bulk actions, why a
queue item is due, and the names of the errors the server itself gives a run."""

from enum import StrEnum

from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "Queued"
    RUNNING = "Running"
    SLEEPING = "Sleeping"
    WAITING = "Waiting"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"


TERMINAL_RUN_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})
ACTIVE_RUN_STATUSES = frozenset(set(RunStatus) - TERMINAL_RUN_STATUSES)


class StepStatus(models.TextChoices):
    RUNNING = "Running"
    RETRYING = "Retrying"
    SLEEPING = "Sleeping"
    WAITING = "Waiting"
    COMPLETED = "Completed"
    FAILED = "Failed"


FINISHED_STEP_STATUSES = frozenset({StepStatus.COMPLETED, StepStatus.FAILED})


class BulkStatus(models.TextChoices):
    PREVIEW = "Preview"  # prepared and shown, not confirmed: never runs by itself
    QUEUED = "Queued"
    RUNNING = "Running"
    COMPLETED = "Completed"


class DeferStatus(models.TextChoices):
    """A `defer()` of a run (runs/defer.py). AfterRun, Aborted and Rejected are inngest/inngest's
    enums.DeferStatus; Scheduled is ours: its `inngest/deferred.schedule` event is stored."""

    AFTER_RUN = "AfterRun"  # scheduled when the run ends, unless aborted first
    ABORTED = "Aborted"  # the function called `.abort()`
    REJECTED = "Rejected"  # over a limit or malformed: never scheduled, retransmits dedupe
    SCHEDULED = "Scheduled"


class QueueReason(models.TextChoices):
    """Why a queue item is due; `planned` items are parallel steps that join at the end,
    `race` items parallel steps in race mode, which resume the run as soon as each ends."""

    START = "start"
    THROTTLED = "throttled"
    PLANNED = "planned"
    RACE = "race"
    RETRY = "retry"
    CONTINUE = "continue"
    SLEEP = "sleep"
    WAIT = "wait"
    INVOKE = "invoke"
    CRASH = "crash"
    # A Durable Endpoint's run while its request runs it: due once the run should have ended
    # (runs/endpoint_calls.py); moved to now, as `start`, when the endpoint goes async.
    ENDPOINT_TIMEOUT = "endpoint-timeout"


# Items of parallel steps still in flight: a run is not done with them until they end.
PARALLEL_REASONS = frozenset({QueueReason.PLANNED, QueueReason.RACE})


class ErrorName(StrEnum):
    """`error.name` of the failures the server records itself (the app's own errors keep the
    names the SDK sent)."""

    GENERIC = "Error"
    SDK_TIMEOUT = "SDKTimeout"
    SDK_UNREACHABLE = "SDKUnreachable"
    OUTPUT_TOO_LARGE = "OutputTooLarge"
    OUTPUT_NOT_STORABLE = "OutputNotStorable"
    SIGNATURE_REJECTED = "SignatureRejected"
    SIGNATURE_INVALID = "SignatureInvalid"
    PROTOCOL_ERROR = "ProtocolError"
    UNSUPPORTED_OPCODE = "UnsupportedOpcode"
    INVALID_SLEEP = "InvalidSleep"
    INVALID_WAIT_FOR_EVENT = "InvalidWaitForEvent"
    INVALID_WAIT_FOR_SIGNAL = "InvalidWaitForSignal"
    SIGNAL_CONFLICT = "SignalConflict"
    INVALID_INVOKE = "InvalidInvoke"
    INVOKE_TIMEOUT = "InngestInvokeTimeoutError"
    RUN_CANCELLED = "RunCancelled"
    AI_GATEWAY_ERROR = "AIGatewayError"
    GATEWAY_ERROR = "GatewayError"  # step.fetch got no answer (inngest/inngest's name)
    EXECUTOR_ERROR = "ExecutorError"
    ENDPOINT_TIMEOUT = "EndpointTimeout"  # a Durable Endpoint never reported its end


class Subject(models.TextChoices):
    """What a status change happened to."""

    RUN = "run"
    STEP = "step"
    BULK = "bulk"
    DEFER = "defer"
