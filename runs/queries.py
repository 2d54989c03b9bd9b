"""Read-side helpers for the API and pages: filtered, cursor-paginated runs."""

from django.db.models import QuerySet

from .models import Run

PAGE_SIZE = 50


def runs_page(
    status: str | None = None,
    function: str | None = None,
    app: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Run], str | None]:
    """Newest first. The cursor is the last run id of the previous page (ULIDs sort by time)."""
    runs: QuerySet[Run] = Run.objects.select_related("function__app").order_by("-id")
    if status:
        runs = runs.filter(status=status)
    if function:
        runs = runs.filter(function__slug=function)
    if app:
        runs = runs.filter(function__app__name=app)
    if cursor:
        runs = runs.filter(id__lt=cursor)
    page = list(runs[: limit + 1])
    next_cursor = page[limit - 1].id if len(page) > limit else None
    return page[:limit], next_cursor
