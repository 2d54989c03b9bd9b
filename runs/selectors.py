"""Choosing runs by status, app, function, time range and a CEL expression over `event` and
`output`: one definition shared by the runs list, bulk actions, the API and the commands."""

import re
import time
from collections.abc import Generator, Iterator, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, fields, replace
from datetime import timedelta
from typing import Any, cast

from django.db.models import QuerySet

from events.expressions import (
    ExpressionError,
    ExpressionTooCostly,
    check_filter,
    evaluate,
    validate_expression,
)
from foundation.selection import (
    SCAN_SECONDS,
    SelectorError,
    parse_time,
    run_filter,
    scan_page,
    within_time,
)

from .models import Function, Run, RunStatus

# Field names as they appear in URLs and forms (and in a bulk action's stored selector).
# A bulk action checks its CEL filter against up to MOST_RUNS runs, for this long at most.
BULK_SCAN_SECONDS = 2.0
_URL_NAMES = {"since": "from", "until": "to", "expression": "if", "run_ids": "ids"}
# Runs chosen one by one (checkboxes) are few; a bigger selection is a filter.
MOST_CHOSEN_RUNS = 1000
_RUN_ID = re.compile(r"[0-9A-Za-z]{1,64}")


@dataclass(frozen=True)
class RunSelector:
    status: str = ""
    app: str = ""
    function: str = ""
    since: str = ""  # ISO datetimes, kept as given so they round-trip through URLs
    until: str = ""
    expression: str = ""
    # Runs chosen one by one, comma-separated (a string, so the selector stays a flat set of
    # URL parameters and a bulk action stores it as it stores a filter).
    run_ids: str = ""

    @classmethod
    def from_fields(cls, **values: str) -> "RunSelector":
        """A selector from its field values, checked: SelectorError names an unusable one."""
        selector = cls(**values)
        selector.validate()
        return selector

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "RunSelector":
        """Read the URL/form names (`status`, `app`, `function`, `from`, `to`, `if`)."""
        return cls.from_fields(
            **{
                field.name: str(params.get(_URL_NAMES.get(field.name, field.name)) or "").strip()
                for field in fields(cls)
            }
        )

    @classmethod
    def from_stored(cls, params: Mapping[str, Any]) -> "RunSelector":
        """A bulk action's stored selector, read back as it was (not checked again)."""
        return cls(
            **{
                field.name: str(params.get(_URL_NAMES.get(field.name, field.name)) or "")
                for field in fields(cls)
            }
        )

    def in_words(self) -> str:
        """For people: 'status is Failed, function shop-checkout, started after 2026-11-30
        10:00' (pages show this, never the stored dict)."""
        chosen = len(self.chosen_ids())
        parts = [f"{chosen} chosen run{'s' if chosen != 1 else ''}"] if chosen else []
        if self.status:
            parts.append(f"status is {self.status}")
        if self.app:
            parts.append(f"app {self.app}")
        if self.function:
            parts.append(f"function {self.function}")
        if self.since:
            parts.append(f"started after {_time_in_words(self.since)}")
        if self.until:
            parts.append(f"started before {_time_in_words(self.until)}")
        if self.expression:
            parts.append(f"matching {self.expression}")
        return ", ".join(parts) or "all runs"

    def as_params(self) -> dict[str, str]:
        return {_URL_NAMES.get(k, k): v for k, v in asdict(self).items() if v}

    def validate(self) -> None:
        if self.status and self.status not in RunStatus.values:
            raise SelectorError(f"unknown status {self.status!r}")
        chosen = self.chosen_ids()
        if len(chosen) > MOST_CHOSEN_RUNS:
            raise SelectorError(
                f"{len(chosen)} runs chosen; at most {MOST_CHOSEN_RUNS}: use a filter instead"
            )
        for run_id in chosen:
            if not _RUN_ID.fullmatch(run_id):
                raise SelectorError(f"{run_id[:40]!r} is not a run id")
        parse_time("from", self.since)
        parse_time("to", self.until)
        if self.expression:
            try:
                check_filter(self.expression)
            except ExpressionError as exc:
                raise SelectorError(str(exc)) from None

    def chosen_ids(self) -> list[str]:
        """The runs chosen one by one ([] when the selector is a filter only)."""
        return [run_id.strip() for run_id in self.run_ids.split(",") if run_id.strip()]

    def with_run_ids(self, run_ids: list[str]) -> "RunSelector":
        return replace(self, run_ids=",".join(run_id.strip() for run_id in run_ids))

    def compile_filter(self) -> None:
        """Parse the `if` filter now (in the filter worker), even with no row to test it on."""
        try:
            validate_expression(self.expression)
        except ExpressionError as exc:
            raise SelectorError(str(exc)) from None

    def function_ids(self) -> list[int] | None:
        """The functions the app and function filters allow (None: any). Looked up first, so
        the run query filters on `function_id` and can use its (function, -id) index."""
        if not self.function and not self.app:
            return None
        functions = Function.objects.all()
        if self.function:
            functions = functions.filter(slug=self.function)
        if self.app:
            functions = functions.filter(app__name=self.app)
        return list(functions.values_list("id", flat=True))

    def queryset(self, function_ids: list[int] | None = None) -> QuerySet[Run]:
        """The database part of the filter, newest first."""
        runs = Run.objects.select_related("function__app", "event").order_by("-id")
        ids = self.function_ids() if function_ids is None else function_ids
        if ids is not None:
            runs = runs.filter(function_id__in=ids)
        if self.status:
            runs = runs.filter(status=self.status)
        if self.run_ids:
            runs = runs.filter(id__in=self.chosen_ids())
        return within_time(runs, self.since, self.until)

    def matches(self, run: Run) -> bool:
        if not self.expression:
            return True
        variables = {"event": run.event.payload() if run.event else {}, "output": run.output}
        try:
            return evaluate(self.expression, variables, refuse_costly=True) is True
        except ExpressionTooCostly as exc:
            raise SelectorError(f"the `if` filter was refused: {exc}") from None
        except ExpressionError as exc:  # compiled here, in the filter worker
            raise SelectorError(str(exc)) from None

    def page(self, cursor: str = "", limit: int = 50) -> tuple[list[Run], str | None]:
        """One page, newest first; the cursor is the last run id looked at. A CEL filter is
        evaluated in the isolated filter worker (foundation.selection.run_filter)."""
        if not self.expression:
            page = self._newest(self.function_ids(), cursor, limit + 1)
            return page[:limit], page[limit - 1].id if len(page) > limit else None
        args = (self.as_params(), cursor, limit)
        ids, next_cursor = run_filter("runs.selectors:scan_page_ids", args, SCAN_SECONDS)
        return _in_order(ids), next_cursor

    def scan(self, cursor: str, limit: int) -> tuple[list[Run], str | None]:
        """The filtered scan itself (in the worker): up to `limit` matches, for SCAN_SECONDS."""
        runs = self.queryset()
        if cursor:
            runs = runs.filter(id__lt=cursor)
        return scan_page(runs.iterator(chunk_size=200), self.matches, limit, SCAN_SECONDS)

    def _newest(self, ids: list[int] | None, cursor: str, count: int) -> list[Run]:
        """The newest `count` matching runs. For several functions (an app), the newest of each
        function are merged: each is one short walk down the (function, -id) index, where one
        query over all of them would sort every run of the app."""
        groups = [ids] if ids is None or len(ids) <= 1 else [[i] for i in ids]
        runs: list[Run] = []
        for group in groups:
            query = self.queryset(group)
            if cursor:
                query = query.filter(id__lt=cursor)
            runs.extend(query[:count])
        return sorted(runs, key=lambda run: run.id, reverse=True)[:count]

    def all_matching(self, most: int) -> Iterator[Run]:
        """Every matching run (for bulk actions), up to `most`. A CEL filter is evaluated in the
        isolated filter worker with a total time budget: past it, SelectorError asks for a
        narrower selection."""
        if self.expression:
            args = (self.as_params(), most)
            yield from _in_order(run_filter("runs.selectors:matching_ids", args, BULK_SCAN_SECONDS))
            return
        yield from self.matching(most)

    def matching(self, most: int) -> Iterator[Run]:
        # QuerySet.iterator returns a generator (closable); the stubs say only Iterator.
        runs = cast(Generator[Run, None, None], self.queryset().iterator(chunk_size=500))
        with closing(runs):  # never left half-read (see foundation.selection.scan_page)
            yield from self._matching_within_budget(runs, most)

    def _matching_within_budget(self, runs: Iterator[Run], most: int) -> Iterator[Run]:
        count = 0
        deadline = time.monotonic() + BULK_SCAN_SECONDS
        for run in runs:
            if self.expression and time.monotonic() > deadline:
                raise SelectorError(
                    f"the `if` filter took over {BULK_SCAN_SECONDS:g} s to check the runs: "
                    "narrow the selection with a status, a function or a time range"
                )
            if self.matches(run):
                yield run
                count += 1
                if count >= most:
                    return


def scan_page_ids(params: dict[str, str], cursor: str, limit: int) -> tuple[list[str], str | None]:
    """In the filter worker: one page of a filtered scan, as run ids."""
    selector = RunSelector.from_params(params)
    selector.compile_filter()
    runs, next_cursor = selector.scan(cursor, limit)
    return [run.id for run in runs], next_cursor


def matching_ids(params: dict[str, str], most: int) -> list[str]:
    """In the filter worker: every run a bulk action's filter matches, up to `most`."""
    selector = RunSelector.from_params(params)
    selector.compile_filter()
    return [run.id for run in selector.matching(most)]


def _time_in_words(value: str) -> str:
    try:
        moment = parse_time("from", value)
    except SelectorError:
        return value  # stored before a check existed: shown as typed
    if moment is None:
        return value
    shown = moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
    return shown if moment.utcoffset() in (None, timedelta(0)) else f"{shown} {moment:%z}"


def _in_order(ids: list[str]) -> list[Run]:
    found = Run.objects.select_related("function__app", "event").in_bulk(ids)
    return [found[run_id] for run_id in ids if run_id in found]
