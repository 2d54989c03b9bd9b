"""Runs as test fixtures: export a run as a fixture file (runs/fixture_format.py), and import
one exported by another server (a staging console) to debug it here."""

from typing import Any

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Body, Router, Status

from console import actions, fixture_source
from runs.fixture_format import BadFixture, parse_fixture
from runs.fixture_import import RunNotEnded, UnknownFunction
from runs.models import Run

from .runs import run_out
from .schemas import ErrorOut, RunOut

router = Router(tags=["fixtures"])


@router.get("/runs/{run_id}/fixture", response={200: dict[str, Any]})
def export_fixture(request, run_id: str):
    """The run as a fixture file: its function, trigger events, every finished step's hashed
    id, name, opcode and memoized output or error, its failed attempts and its outcome. Replay
    it offline with `@inngest/test` or `inngest.experimental.mocked`, or import it elsewhere."""
    run = get_object_or_404(Run.objects.select_related("function__app", "event"), pk=run_id)
    response = JsonResponse(fixture_source.export_run(request, run))
    response["Content-Disposition"] = f'attachment; filename="{fixture_filename(run)}"'
    return response


@router.post("/runs/import", response={201: RunOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def import_fixture(request, fixture: Body[dict[str, Any]]):
    """Import a run fixture exported by another server: a new run of the function with the same
    slug here, in its exported status, with its events and memoized steps, marked with its
    source (metadata `devserver.imported`). Nothing runs until you replay, retry or rerun it
    from a step. 404: no such function here; 409: the run had not ended."""
    try:
        run = actions.import_run(request, parse_fixture(fixture))
    except UnknownFunction as exc:
        return Status(404, {"error": str(exc)})
    except RunNotEnded as exc:
        return Status(409, {"error": str(exc)})
    except BadFixture as exc:
        return Status(400, {"error": str(exc)})
    return Status(201, run_out(run))


def fixture_filename(run: Run) -> str:
    return f"run-{run.function.slug}-{run.id}.json"
