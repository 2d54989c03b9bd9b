"""The adversarial CEL filters bench.filter_cost sends, the surfaces it sends them to, and how
an answer reads (refused why, or how many rows).

The project's own modules are imported inside the functions that use them: the command sets
Django up first (as bench/floors.py does), and models cannot load before that."""

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

EVENT_NAME = "bench/order.placed"
NEAR_BUDGET_SHARE = 0.6  # the calibrated filter takes this share of the evaluation budget


# --- The filters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    label: str
    source: Callable[[int], str]  # request number -> expression ("" for no filter)


def _digits(n: int) -> str:
    return "[" + ",".join(str(k % 10) for k in range(n)) + "]"


def _or_chain(k: int, most: int = 2040) -> str:
    """`event.data.i == a || ...` as long as fits in `most` characters: parses to a big tree,
    evaluates every term on every row, matches nothing."""
    terms: list[str] = []
    while True:
        longer = " || ".join([*terms, f"event.data.i == {-(k * 97 + len(terms))}"])
        if len(longer) > most:
            return " || ".join(terms)
        terms.append(longer.rsplit(" || ", 1)[-1])


def near_budget_size() -> int:
    """The widest nested `map` (n x n inner evaluations) that stays under NEAR_BUDGET_SHARE of
    the evaluation budget in this process: a filter that is never stopped yet costs nearly
    the most one evaluation may."""
    from events.expressions import EVALUATION_SECONDS, ExpressionTooCostly, evaluate

    variables = {"event": {"name": EVENT_NAME, "data": {"i": 1}}}
    best = 4
    for n in range(4, 80, 2):
        source = f"{_digits(n)}.map(a, {_digits(n)}.map(b, a + b)).size() == -1"
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            try:
                evaluate(source, variables, refuse_costly=True)
            except ExpressionTooCostly:
                return best
            timings.append(time.perf_counter() - started)
        if min(timings) > NEAR_BUDGET_SHARE * EVALUATION_SECONDS:
            return best
        best = n
    return best


def filters(near: int) -> dict[str, Filter]:
    """The set a hostile read-only user sends, and two ordinary ones to set them beside."""
    long_list = _digits(450)
    ten = " + ".join(["s"] * 10)
    x1000 = "x" * 1000
    fixed_chain = _or_chain(0)
    chosen = [
        Filter("no filter", lambda k: ""),
        Filter("plain: event.data.i == -k (no match)", lambda k: f"event.data.i == {-k}"),
        Filter(
            "map in map, 450 x 450 digits",
            lambda k: f"{long_list}.map(a, {long_list}.map(b, a + b)).size() == {-k}",
        ),
        Filter(
            f"map in map, {near} x {near} (under budget)",
            lambda k: f"{_digits(near)}.map(a, {_digits(near)}.map(b, a + b)).size() == {-k}",
        ),
        Filter(
            "string doubling with +",
            lambda k: f"['{x1000}'].map(s, [{ten}].map(s, {ten} + {ten})).size() == {-k}",
        ),
        Filter("600 nested parentheses", lambda k: "(" * 600 + str(k) + ")" * 600 + " == 1"),
        Filter("2,000 characters of || terms", _or_chain),
        Filter("the same 2,000 characters each time", lambda k: fixed_chain),
        Filter("1,000-term + chain", lambda k: "1+" * 1000 + f"1 == {k}"),
    ]
    return {f.label: f for f in chosen}


# --- Where they are sent -----------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    label: str
    send: Callable[[httpx.Client, str], httpx.Response]
    operator: bool = False


def _get(path: str) -> Callable[[httpx.Client, str], httpx.Response]:
    return lambda client, source: client.get(path, params={"if": source} if source else {})


def _bulk(client: httpx.Client, source: str) -> httpx.Response:
    body = {"kind": "replay", "status": "Completed", "expression": source}
    return client.post("/api/bulk", json=body)


LISTS = [
    Surface("GET /api/runs?if=", _get("/api/runs")),
    Surface("GET /runs/?if=", _get("/runs/")),
    Surface("GET /events/?if=", _get("/events/")),
]
BULK = Surface("POST /api/bulk (preview)", _bulk, operator=True)
BULK_READER = Surface("POST /api/bulk as read-only", _bulk)
BULK_FILTERS = [
    "no filter",
    "plain: event.data.i == -k (no match)",
    "map in map, 450 x 450 digits",
    "map in map, {near} x {near} (under budget)",
    "2,000 characters of || terms",
]
_REASON = re.compile(
    r"(the expression[^<\"]{0,160}|the `if` filter[^<\"]{0,160}|needs an operator)"
)


def answer_of(response: httpx.Response) -> str:
    """What the server said, in a few words: the limit it named, or how much it found."""
    text = html.unescape(response.text)
    found = _REASON.search(text)
    if found:
        return "refused: " + found.group(1).rsplit(": ", 1)[-1].strip()
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if "runs" in body:
            return f"{len(body['runs'])} runs" + (", more" if body.get("next_cursor") else "")
        if "total" in body:
            return f"preview of {body['total']} runs"
    return f"page, {len(response.content) // 1024} KiB"
