"""Operator actions (console/actions.py) write their audit row in the transaction of what they do:
an action that fails is not audited, and an audit row that cannot be written undoes the action."""

import pytest

from console import actions, audit
from console.models import AuditEntry
from events.ingest import parse_body
from events.models import Event
from runs.cancellation import RunAlreadyEnded
from runs.forks import ForkNotAllowed
from runs.manual import CannotStart
from runs.models import Run, RunOrigin
from runs.statuses import RunStatus
from tests.integration.flow_setup import send, sync_function

pytestmark = pytest.mark.django_db


def _queued_run() -> Run:
    sync_function("acted-on", "test/act")
    return send("test/act").runs.get()


def _broken_audit(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the audit log cannot be written")


def test_a_cancel_is_audited_with_who_asked():
    run = _queued_run()
    actions.cancel_run(None, run.id, "by hand")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    entry = AuditEntry.objects.get(action="run.cancel")
    assert (entry.actor, entry.target) == ("manage.py", run.id)


def test_a_cancel_that_fails_is_not_audited():
    run = _queued_run()
    actions.cancel_run(None, run.id, "first")
    with pytest.raises(RunAlreadyEnded):
        actions.cancel_run(None, run.id, "second")
    assert AuditEntry.objects.filter(action="run.cancel").count() == 1


def test_a_cancel_whose_audit_row_cannot_be_written_does_not_happen(monkeypatch):
    run = _queued_run()
    monkeypatch.setattr(audit, "record", _broken_audit)
    with pytest.raises(RuntimeError):
        actions.cancel_run(None, run.id, "by hand")
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.queue_items.exists()


def test_a_replay_is_audited_with_its_new_run_and_a_refused_retry_is_not():
    run = _queued_run()
    replay = actions.fork_run(None, run, RunOrigin.REPLAY)
    entry = AuditEntry.objects.get(action="run.replay")
    assert entry.target == run.id and entry.detail["new_run"] == replay.id
    with pytest.raises(ForkNotAllowed):
        actions.fork_run(None, run, RunOrigin.RETRY)  # only a failed run can be retried
    assert not AuditEntry.objects.filter(action="run.retry").exists()


def test_a_replay_whose_audit_row_cannot_be_written_starts_no_run(monkeypatch):
    run = _queued_run()
    monkeypatch.setattr(audit, "record", _broken_audit)
    with pytest.raises(RuntimeError):
        actions.fork_run(None, run, RunOrigin.REPLAY)
    assert list(Run.objects.values_list("id", flat=True)) == [run.id]


def test_sent_events_are_audited_by_name_and_stored_only_with_their_audit_row(monkeypatch):
    incoming = parse_body(b'[{"name": "test/a"}, {"name": "test/b"}]')
    result = actions.send_events(None, incoming)
    entry = AuditEntry.objects.get(action="event.send")
    assert entry.target == ",".join(result.ids) and entry.detail["names"] == ["test/a", "test/b"]
    monkeypatch.setattr(audit, "record", _broken_audit)
    with pytest.raises(RuntimeError):
        actions.send_events(None, parse_body(b'{"name": "test/c"}'))
    assert not Event.objects.filter(name="test/c").exists()


def test_an_invoke_of_an_archived_function_is_refused_and_not_audited():
    function = sync_function("archived", "test/archived")
    function.archived = True
    function.save(update_fields=["archived"])
    with pytest.raises(CannotStart):
        actions.invoke_function(None, function, {})
    assert not AuditEntry.objects.exists()
