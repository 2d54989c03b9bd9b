"""Apps, functions, runs, steps, attempts and queue items: the durable state of execution.
What apps report about their runs beside it (their own spans, metadata) is in
runs/app_reports.py, imported at the end so that both are this app's models."""

from django.db import models

from events.models import Event
from flowcontrol.spec import FlowControl

from .spec import FunctionSpec, SpecField
from .statuses import BulkStatus, DeferStatus, QueueReason, RunStatus, StepStatus, Subject


class App(models.Model):
    """An SDK app reachable at a serve URL. A URL given with `-u` exists before it syncs."""

    name = models.CharField(max_length=255, blank=True, default="", db_index=True)
    url = models.URLField(max_length=1024, unique=True)
    sdk = models.CharField(max_length=64, blank=True, default="")
    framework = models.CharField(max_length=64, blank=True, default="")
    app_version = models.CharField(max_length=255, blank=True, default="")
    synced_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(blank=True, default="")
    # Digest of the last registration: a re-sync that changes nothing is cheap.
    config_hash = models.CharField(max_length=64, blank=True, default="")
    # Failed syncs in a row, and when polling may try again (a dead app backs off).
    sync_failures = models.PositiveIntegerField(default=0)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "url"]

    def __str__(self) -> str:
        return self.name or self.url


class Function(models.Model):
    """A function as its app registered it; `config` keeps the whole registered object and
    `spec` is its parsed form (runs/spec.py), which the engine and flow control read."""

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="functions")
    slug = models.CharField(max_length=255, unique=True)  # the app-prefixed function id
    name = models.CharField(max_length=255)
    config = models.JSONField(default=dict)
    # The config parsed at registration (runs/spec.py): what the engine and flow control read.
    spec = SpecField(default=FunctionSpec, editable=False)
    triggers = models.JSONField(default=list)
    step_url = models.URLField(max_length=2048)
    retries = models.PositiveIntegerField(default=4)
    archived = models.BooleanField(default=False)
    # Set while an operator has paused the function (console/actions.py): events and crons
    # start nothing, and runs in flight hold their next step (runs/pausing.py).
    paused_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def flow(self) -> FlowControl:
        """The flow-control options (flowcontrol.spec.Gated: what flow control reads)."""
        return self.spec.flow


class RunOrigin(models.TextChoices):
    REPLAY = "replay"  # the same trigger, every step again
    RETRY = "retry"  # steps that succeeded are reused, the failed one runs again
    RERUN = "rerun"  # steps before the chosen one are reused


class Run(models.Model):
    id = models.CharField(primary_key=True, max_length=26)
    # `function` and `status` are indexed by the composite indexes below (their first column):
    # a single-column index as well was one more B-tree written per run and status change.
    function = models.ForeignKey(
        Function, on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    event = models.ForeignKey(Event, null=True, on_delete=models.SET_NULL, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # When `timeouts.start` (while queued) or `timeouts.finish` (once started) cancels the run.
    timeout_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Every event of a batch (batchEvents), in order; empty for a single-event run.
    batch_event_ids = models.JSONField(default=list, blank=True)
    singleton_key = models.CharField(max_length=512, blank=True, default="")
    # Concurrency constraints resolved at start: [{"key": "fn:<slug>:<value>", "limit": n}].
    concurrency = models.JSONField(default=list, blank=True)
    # The caller's step when this run was started by step.invoke.
    invoked_by = models.ForeignKey(
        "Step",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invoked_runs",
        db_index=False,  # a partial index below: most runs have none
    )
    # A replay, retry or rerun from a step: the run it was made from, and how.
    source_run = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived_runs",
        db_index=False,  # a partial index below: most runs have none
    )
    origin = models.CharField(max_length=16, choices=RunOrigin.choices, blank=True, default="")
    # Edited inputs for steps of a rerun: {hashed step id: [args]}, handed to the SDK as the
    # step's `input` until the step has run.
    step_inputs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="run_status_newest"),
            models.Index(fields=["function", "-id"], name="run_function_newest"),
            # The reconciler looks for runs past their timeout every second.
            models.Index(fields=["status", "timeout_at"], name="run_status_timeout"),
            models.Index(
                fields=["invoked_by"],
                condition=models.Q(invoked_by__isnull=False),
                name="run_invoked_by",
            ),
            models.Index(
                fields=["source_run"],
                condition=models.Q(source_run__isnull=False),
                name="run_source_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.function_id}:{self.id}"


class Step(models.Model):
    """One step of a run. `memo` is what the SDK gets back on replay once the step is done."""

    # Indexed by unique_step_per_run (run, hashed_id): one B-tree less written per step.
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="steps", db_index=False)
    hashed_id = models.CharField(max_length=64)
    name = models.CharField(max_length=1024)
    opcode = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=StepStatus.choices)
    memo = models.JSONField(null=True, blank=True)
    # Bytes of `memo` as JSON, written with it (runs/states.py): a run's state size is summed
    # without reading the memos (runs/memo.py, use_api). Null: stored before it was counted.
    memo_size = models.PositiveBigIntegerField(null=True, blank=True)
    opts = models.JSONField(null=True, blank=True)
    # Completion order: the stack the SDK receives in `ctx.stack.stack`.
    position = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # When the attempt that produced the result began (after retries: the last one; failed
    # attempts have Attempt rows). Null: stored before it was recorded.
    attempt_started_at = models.DateTimeField(null=True, blank=True)
    wake_at = models.DateTimeField(null=True, blank=True)
    # For a waitForEvent step: the event name it waits for (indexed for ingest-time matching).
    wait_event = models.CharField(max_length=255, blank=True, default="", db_index=True)
    # For a waitForSignal step: the signal it holds. One step at a time holds a signal (the
    # constraint below); a replaced wait, and a step that ended, hold none (runs/signals.py).
    wait_signal = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "hashed_id"], name="unique_step_per_run"),
            models.UniqueConstraint(
                fields=["wait_signal"],
                condition=~models.Q(wait_signal=""),
                name="one_wait_per_signal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class Attempt(models.Model):
    """A failed attempt, of a step or (blank `step_hashed_id`) of the function body."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="failed_attempts")
    step_hashed_id = models.CharField(max_length=64, blank=True, default="")
    step_name = models.CharField(max_length=1024, blank=True, default="")
    number = models.PositiveIntegerField()  # 0-based, like ctx.attempt
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    error = models.JSONField()
    retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]


class QueueItem(models.Model):
    """Work that is due: one call (or chain of calls) to the SDK for a run.

    The row is the truth; a Celery message only says "look at item X now". A worker holds an
    item through a lease it keeps renewing, so an item whose lease lapsed belongs to nobody.
    """

    id = models.CharField(primary_key=True, max_length=26)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="queue_items")
    # Hashed id of a planned step to execute, or blank to let the SDK discover the next step.
    target_step = models.CharField(max_length=64, blank=True, default="")
    attempt = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=32, choices=QueueReason.choices, default=QueueReason.START)
    due_at = models.DateTimeField(db_index=True)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # Concurrency keys whose slots this item holds while leased (copied from the run).
    ckey1 = models.CharField(max_length=600, blank=True, default="", db_index=True)
    ckey2 = models.CharField(max_length=600, blank=True, default="", db_index=True)
    # Set while the item waits for a free concurrency slot: the key it waits on.
    waiting_on = models.CharField(max_length=600, blank=True, default="")

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["lease_owner"])]


class SyncRequest(models.Model):
    """A sync this server asked for (its PUT carried `deployId`): the app's registration must
    bring that id back, once and soon, so a captured registration cannot be replayed later."""

    deploy_id = models.CharField(primary_key=True, max_length=26)
    url = models.URLField(max_length=1024)
    requested_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)


class CronTrigger(models.Model):
    """A function's cron trigger and its next tick; the conditional update of `next_fire_at`
    is what makes each tick fire exactly once, however many beat processes run."""

    function = models.ForeignKey(Function, on_delete=models.CASCADE, related_name="crons")
    spec = models.CharField(max_length=255)
    next_fire_at = models.DateTimeField(db_index=True)
    # The trigger's `jitter`: each tick's run starts up to this much later (runs/crons.py).
    jitter = models.DurationField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["function", "spec"], name="unique_cron_per_function")
        ]


class BulkKind(models.TextChoices):
    CANCEL = "cancel"
    REPLAY = "replay"
    RETRY = "retry"


class BulkAction(models.Model):
    """A bulk cancel, replay or retry: the selector, the exact runs it matched when confirmed,
    and its progress. Kept after it ends: the history of what was done to which runs."""

    kind = models.CharField(max_length=16, choices=BulkKind.choices)
    selector = models.JSONField(default=dict)
    run_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)  # e.g. a run that ended before its turn
    status = models.CharField(max_length=16, choices=BulkStatus.choices, default=BulkStatus.QUEUED)
    requested_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField()
    # Touched with every run handled: an unfinished action gone quiet is resumed.
    heartbeat_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class StatusChange(models.Model):
    """One status change of a run, a step or a bulk action, written by the state gateway in the
    transaction that made it: the run's history, and an outbox for what must follow a run's end
    (`hooks_due` until the lifecycle hooks ran, so a crash after the commit loses nothing)."""

    subject = models.CharField(max_length=8, choices=Subject.choices)
    # Both indexed below (`run` by status_change_by_run; `bulk` only where set): a row per step
    # and status change, so each index less is a B-tree less written per step.
    run = models.ForeignKey(
        Run,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="status_changes",
        db_index=False,
    )
    step_hashed_id = models.CharField(max_length=64, blank=True, default="")
    bulk = models.ForeignKey(
        BulkAction,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="status_changes",
        db_index=False,
    )
    from_status = models.CharField(max_length=16, blank=True, default="")  # blank: created
    to_status = models.CharField(max_length=16)
    at = models.DateTimeField()
    hooks_due = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "id"], name="status_change_by_run"),
            models.Index(
                fields=["at"], name="status_change_hooks_due", condition=models.Q(hooks_due=True)
            ),
            models.Index(
                fields=["bulk"],
                condition=models.Q(bulk__isnull=False),
                name="status_change_by_bulk",
            ),
        ]


class Defer(models.Model):
    """A `defer()` of a run (JS 4.4+, runs/defer.py): the function `fn_slug` gets one run,
    started by an `inngest/deferred.schedule` event once this run ends, unless aborted first.
    Insert-only per (run, hashed_id), so the SDK's retransmits of one DeferAdd store it once."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="defers")
    hashed_id = models.CharField(max_length=64)
    name = models.CharField(max_length=1024, blank=True, default="")  # the user's defer id
    fn_slug = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=DeferStatus.choices)
    input = models.JSONField(null=True, blank=True)  # dropped once aborted
    input_size = models.PositiveIntegerField(default=0)
    meta = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True, default="")  # why Rejected
    event_id = models.CharField(max_length=26, blank=True, default="")  # once Scheduled
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "hashed_id"], name="unique_defer_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.name or self.hashed_id} -> {self.fn_slug} ({self.status})"


class ConnectSession(models.Model):
    """A Connect worker's socket, for one app it serves: when it connected, and when and why it
    ended (blank while it holds). The app's history of workers coming and going
    (runs/connect/history.py); keyed by app name, as a worker names its apps."""

    app_name = models.CharField(max_length=255)
    connection_id = models.CharField(max_length=26)
    instance_id = models.CharField(max_length=255, blank=True, default="")
    sdk = models.CharField(max_length=64, blank=True, default="")
    connected_at = models.DateTimeField()
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # Blank while connected; else a runs.connect.protocol.DisconnectReason (not imported here:
    # the connect package builds on these models).
    reason = models.CharField(max_length=24, blank=True, default="")
    close_code = models.PositiveIntegerField(null=True, blank=True)  # the WebSocket's, if any

    class Meta:
        ordering = ["-connected_at", "-id"]
        indexes = [
            models.Index(fields=["app_name", "-connected_at"], name="connect_session_by_app")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["connection_id", "app_name"], name="unique_connect_session"
            )
        ]


from .app_reports import RunMetadata as RunMetadata  # noqa: E402  # models of this app too
from .app_reports import UserSpan as UserSpan  # noqa: E402
