"""The metric families we expose: names (Inngest's where it has one), help and buckets."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str  # without the `_total` a counter's samples carry
    help: str
    bounds: tuple[float, ...] = ()  # a histogram's upper bounds, in seconds

    @property
    def is_histogram(self) -> bool:
        return bool(self.bounds)


_RUN_BOUNDS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0, 3600.0, 21600.0, 86400.0)
_CALL_BOUNDS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0)

# Inngest's names (pkg/execution/... lifecycle listeners and its /metrics API).
RUN_SCHEDULED = Family("inngest_function_run_scheduled", "Function runs scheduled (queued)")
RUN_STARTED = Family("inngest_function_run_started", "Function runs started")
RUN_ENDED = Family("inngest_function_run_ended", "Function runs ended, by status")
SDK_REQ_ENDED = Family(
    "inngest_sdk_req_ended",
    "Calls to the app that ran a step, by outcome (success, errored: retried, failed)",
)
# Ours: Inngest has no such family.
RUN_DURATION = Family(
    "devserver_function_run_duration_seconds",
    "From a run's start to its end, by status",
    _RUN_BOUNDS,
)
STEP_DURATION = Family(
    "devserver_step_duration_seconds",
    "From a step's first attempt to its end (retries included), by status",
    _RUN_BOUNDS,
)
SDK_REQ_DURATION = Family(
    "devserver_sdk_request_duration_seconds",
    "Duration of the calls to the app that ran a step attempt, by outcome",
    _CALL_BOUNDS,
)
STEP_ATTEMPT_FAILED = Family(
    "devserver_step_attempt_failed",
    "Failed step attempts; error=sdk when the app was not reached or answered badly",
)
FLOW_DECISIONS = Family(
    "devserver_flow_control_decisions",
    "Flow-control decisions that held, delayed or skipped an event, by kind",
)

FOLDED = (
    RUN_SCHEDULED, RUN_STARTED, RUN_ENDED, SDK_REQ_ENDED, RUN_DURATION, STEP_DURATION,
    SDK_REQ_DURATION, STEP_ATTEMPT_FAILED, FLOW_DECISIONS,
)  # fmt: skip
