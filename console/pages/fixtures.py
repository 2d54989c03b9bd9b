"""Import a run fixture from the runs page (a file exported by another server's run page).
Export needs no page of its own: the run page's button downloads GET /api/runs/{id}/fixture."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from console import actions
from runs.fixture_format import BadFixture, load_fixture


@require_POST
def import_fixture(request: HttpRequest) -> HttpResponse:
    """The uploaded fixture becomes a run here (its page is where it can be rerun from a
    step); a refusal returns to the runs page saying why."""
    upload = request.FILES.get("fixture")
    if upload is None:
        messages.error(request, "Choose a fixture file (a run exported as JSON) to import.")
        return redirect("runs")
    # One byte past the limit is enough to refuse it (load_fixture names the limit).
    raw = upload.read(settings.REQUEST_MAX_BYTES + 1)
    try:
        fixture = load_fixture(raw)
        run = actions.import_run(request, fixture)
    except BadFixture as exc:
        messages.error(request, f"Not imported: {exc}")
        return redirect("runs")
    source = fixture.source or "an unnamed server"
    messages.success(request, f"Imported run {fixture.run_id} from {source}.")
    return redirect("run-detail", run_id=run.id)
