"""Wake-ups are sent by task name (runs/wakeups.py): every name sent or scheduled on beat must be
a task the worker registers, or Celery drops the message as unregistered."""

from devserver.celery import app
from runs.wakeups import Task


def test_every_wakeup_and_beat_entry_names_a_registered_task() -> None:
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks.py
    registered = set(app.tasks)
    assert {task.value for task in Task} <= registered
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled == {Task.RECONCILE, Task.FIRE_CRONS, Task.POLL_APPS, Task.PURGE}
    assert scheduled <= registered
