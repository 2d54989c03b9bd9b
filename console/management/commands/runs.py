"""`manage.py runs`: the dashboard's actions on one run, from a shell.

manage.py runs cancel RUN_ID
manage.py runs plan RUN_ID --action rerun --step charge
manage.py runs replay|retry RUN_ID
manage.py runs rerun RUN_ID --step NAME_OR_HASHED_ID [--input '[21]']
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from console import actions
from runs.cancellation import RunAlreadyEnded
from runs.forks import BadStepInput, ForkNotAllowed, parse_step_input, plan
from runs.models import Run


class Command(BaseCommand):
    help = "Cancel, replay, retry or rerun a run from a step (the same actions as the dashboard)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["cancel", "plan", "replay", "retry", "rerun"])
        parser.add_argument("run_id")
        parser.add_argument("--step", default="", help="step name or hashed id (rerun, plan)")
        parser.add_argument("--input", default=None, help="new step input: a JSON array")
        parser.add_argument("--as", dest="plan_action", default="rerun", help="for plan")

    def handle(self, *args: object, **options: str) -> None:
        run = Run.objects.select_related("function", "event").filter(pk=options["run_id"]).first()
        if run is None:
            raise CommandError(f"no run {options['run_id']}")
        action = options["action"]
        if action == "cancel":
            try:
                actions.cancel_run(None, run.id, "cancelled from the command line")
            except RunAlreadyEnded as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"cancelled {run.id}")
            return
        step = _step_id(run, options["step"])
        try:
            if action == "plan":
                result = plan(run, options["plan_action"], step)
                self.stdout.write(f"reused: {', '.join(s.name for s in result.reused) or '-'}")
                self.stdout.write(f"run again: {', '.join(result.rerun) or '-'}")
                return
            new_run = actions.fork_run(None, run, action, step, _input(options["input"]))
        except ForkNotAllowed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{action}: new run {new_run.id} (from {run.id})")


def _step_id(run: Run, name_or_id: str) -> str:
    if not name_or_id:
        return ""
    step = (
        run.steps.filter(hashed_id=name_or_id).first() or run.steps.filter(name=name_or_id).first()
    )
    if step is None:
        raise CommandError(f"run {run.id} has no step {name_or_id!r}")
    return step.hashed_id


def _input(text: str | None) -> list | None:
    if text is None:
        return None
    try:
        return parse_step_input(text)
    except BadStepInput as exc:
        raise CommandError(f"--input: {exc}") from None
