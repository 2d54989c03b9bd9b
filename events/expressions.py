"""CEL expressions (trigger `if`, keys, `cancelOn`, `waitForEvent`, list filters): compiled
once, cached, and evaluated within bounds, since any user of the console can type one.

Bounds that hold inside a single evaluation: the source's length and nesting and its number of
comprehensions (checked when compiled), a time budget checked at every node the interpreter
visits, and a cap on what `+` may build (strings and lists that double each step)."""

import operator
import threading
import time
from collections import OrderedDict
from typing import Any

import celpy
import lark
from celpy.celparser import CELParseError
from celpy.evaluation import Evaluator
from django.conf import settings

from .cel_equalities import Equality, decide, equalities_of

MAX_SOURCE_LENGTH = 2048
MAX_NESTING = 32  # brackets, parentheses and braces, one inside another
# Levels of the parsed tree: a parenthesis adds about ten, a chained `a + b + c` one per term.
# Evaluating recurses about five Python frames per level, and the process allows 2,500; a
# failing term of a long `||` chain also keeps its frames: deep trees cost memory as well.
MAX_TREE_DEPTH = 120
MAX_COMPREHENSIONS = 4  # map, filter, all, exists, exists_one in one expression
MAX_COMPREHENSION_NESTING = 2  # one inside another: their costs multiply
EVALUATION_SECONDS = 0.05  # one evaluation of a user's filter; a list also has one per page
# The engine's expressions (trigger `if`, keys, cancelOn, waitForEvent) come from function
# authors, and a miss there loses a run: a pause of the interpreter (a garbage collection) must
# never turn a match into "no match", so they get a wide budget; still a bound.
ENGINE_EVALUATION_SECONDS = 1.0
MAX_BUILT_LENGTH = 100_000  # characters of a string, items of a list, built by `+`
_COMPREHENSIONS = frozenset({"map", "filter", "all", "exists", "exists_one"})


class ExpressionError(ValueError):
    """An expression that does not compile, or that goes past a limit (the message says which)."""


class ExpressionTooCostly(ExpressionError):
    """An evaluation that went past its time budget or tried to build too large a value."""


class _OverBudget(Exception):  # noqa: N818
    """Raised inside the interpreter; not a ValueError, which the interpreter would swallow."""


class _BudgetedEvaluator(Evaluator):
    """celpy's tree-walking evaluator, checking a deadline at every node, macros included."""

    def __init__(self, ast: lark.Tree, activation: Any, deadline: float, budget: float) -> None:
        super().__init__(ast, activation)
        self.deadline = deadline
        self.budget = budget

    def visit(self, tree: lark.Tree) -> Any:
        self._check()
        return super().visit(tree)

    def visit_children(self, tree: lark.Tree) -> list[Any]:
        self._check()
        return super().visit_children(tree)

    def sub_evaluator(self, ast: lark.Tree) -> "Evaluator":
        return _BudgetedEvaluator(ast, self.activation, self.deadline, self.budget)

    def _check(self) -> None:
        if time.monotonic() > self.deadline:
            raise _OverBudget(f"it took longer than {self.budget * 1000:g} ms to evaluate")


class _BudgetedRunner(celpy.InterpretedRunner):
    # Set when compiled: the expression's `field == literal` terms when that is all it is
    # (events/cel_equalities.py decides those without the interpreter).
    equalities: tuple[Equality, ...] | None = None

    def evaluate_within(self, context: Any, seconds: float) -> Any:
        evaluator = _BudgetedEvaluator(
            self.ast, self.new_activation(), deadline=time.monotonic() + seconds, budget=seconds
        )
        return evaluator.evaluate(context)


def _bounded_add(left: Any, right: Any) -> Any:
    sized = isinstance(left, str | bytes | list) and isinstance(right, str | bytes | list)
    if sized and len(left) + len(right) > MAX_BUILT_LENGTH:
        raise _OverBudget(f"it builds a value longer than {MAX_BUILT_LENGTH:,}")
    return operator.add(left, right)


_ENVIRONMENT = celpy.Environment(runner_class=_BudgetedRunner)


# Compiled programs kept, least recently used first, up to this many characters of source in
# all: a parsed tree costs about 0.7 KiB per character, and users choose the expressions.
CACHED_SOURCE_CHARS = 100_000
_compiled: OrderedDict[str, _BudgetedRunner] = OrderedDict()
_cached_chars = 0
_cache_lock = threading.Lock()


def compile_expression(source: str) -> _BudgetedRunner:
    """Compile `source` once (cached); ExpressionError says what is wrong with it or which
    limit it goes past."""
    global _cached_chars
    with _cache_lock:
        program = _compiled.get(source)
        if program is not None:
            _compiled.move_to_end(source)
            return program
    program = _compile(source)
    with _cache_lock:
        if source not in _compiled:
            _cached_chars += len(source)
        _compiled[source] = program
        while _cached_chars > CACHED_SOURCE_CHARS and len(_compiled) > 1:
            evicted, _ = _compiled.popitem(last=False)
            _cached_chars -= len(evicted)
    return program


def check_source(source: str) -> None:
    """The limits that need no parsing (length, bracket nesting): cheap enough for the web
    process, where the parse itself of a user's filter is left to the filter worker."""
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source):,} characters long, over the limit of "
            f"{MAX_SOURCE_LENGTH:,}"
        )
    depth = _nesting(source)
    if depth > MAX_NESTING:
        raise ExpressionError(
            f"the expression nests {depth} levels deep, over the limit of {MAX_NESTING}"
        )


def _compile(source: str) -> _BudgetedRunner:
    check_source(source)
    try:
        ast = _ENVIRONMENT.compile(source)
    except CELParseError as exc:
        raise ExpressionError(f"invalid expression {source!r}: {exc}") from None
    except RecursionError:
        raise ExpressionError("the expression nests too deeply to read") from None
    _check_shape(ast)
    runner = _ENVIRONMENT.program(ast, functions={"_+_": _bounded_add})
    assert isinstance(runner, _BudgetedRunner)
    runner.equalities = equalities_of(ast)
    return runner


def _nesting(source: str) -> int:
    """Deepest bracket nesting outside string literals (a cheap look before the parser, whose
    tree would otherwise be as deep)."""
    depth = deepest = 0
    quote = ""
    escaped = False
    for char in source:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _check_shape(ast: lark.Tree) -> None:
    """The parsed tree's depth and its comprehensions, walked without recursion."""
    count = 0
    stack: list[tuple[Any, int, int]] = [(ast, 0, 1)]
    while stack:
        node, inside, level = stack.pop()
        if not isinstance(node, lark.Tree):
            continue
        if level > MAX_TREE_DEPTH:
            raise ExpressionError(
                "the expression is too deeply composed (more than "
                f"{MAX_TREE_DEPTH} levels once parsed): split long chains of operators"
            )
        if _is_comprehension(node):
            count += 1
            inside += 1
            if inside > MAX_COMPREHENSION_NESTING:
                raise ExpressionError(
                    f"the expression nests {inside} comprehensions (map, filter, all, exists) "
                    f"one inside another, over the limit of {MAX_COMPREHENSION_NESTING}"
                )
        stack.extend((child, inside, level + 1) for child in node.children)
    if count > MAX_COMPREHENSIONS:
        raise ExpressionError(
            f"the expression has {count} comprehensions (map, filter, all, exists), over the "
            f"limit of {MAX_COMPREHENSIONS}"
        )


def _is_comprehension(node: lark.Tree) -> bool:
    if node.data != "member_dot_arg" or len(node.children) < 2:
        return False
    name = node.children[1]
    return isinstance(name, lark.Token) and name.value in _COMPREHENSIONS


def validate_expression(source: str) -> None:
    compile_expression(source)


def check_filter(source: str) -> None:
    """A user's filter, checked where it was typed: in full when filters run in this process;
    only the limits that need no parsing when the filter worker compiles it (parsing a long
    expression takes tens of milliseconds of the interpreter lock)."""
    if settings.FILTERS_IN_WORKER:
        check_source(source)
    else:
        validate_expression(source)


def evaluate(source: str, variables: dict[str, Any], refuse_costly: bool = False) -> Any:
    """Evaluate to a Python value. A runtime error (missing field, bad types) yields None, and
    so does an evaluation over its budget, unless `refuse_costly` (a user's filter, answered
    with the reason) makes that an ExpressionTooCostly."""
    program = compile_expression(source)
    if program.equalities is not None and settings.FAST_CEL_EQUALITIES:
        decided = decide(program.equalities, variables)
        if decided is not None:
            return decided
    activation = {name: _to_cel(value) for name, value in variables.items()}
    try:
        budget = EVALUATION_SECONDS if refuse_costly else ENGINE_EVALUATION_SECONDS
        result = program.evaluate_within(activation, budget)
    except _OverBudget as exc:
        if refuse_costly:
            raise ExpressionTooCostly(f"the expression was stopped: {exc}") from None
        return None
    except celpy.CELEvalError:
        return None
    except RecursionError:  # within the limits this should not happen; never a crash
        if refuse_costly:
            raise ExpressionTooCostly("the expression nests too deeply to evaluate") from None
        return None
    except (IndexError, KeyError, TypeError, AttributeError, ArithmeticError):
        return None  # celpy's own slips on odd programs (`has()` indexes an empty list)
    if isinstance(result, celpy.CELEvalError):
        return None
    return _to_python(result)


def _to_cel(value: Any) -> Any:
    """JSON to CEL values. CEL integers are 64-bit; a bigger JSON integer (valid JSON, and
    senders do send them) becomes a double instead of failing the whole evaluation."""
    try:
        return celpy.json_to_cel(value)
    except (ValueError, OverflowError):
        return celpy.json_to_cel(_big_ints_as_floats(value))


def _big_ints_as_floats(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return float(value)
    if isinstance(value, list):
        return [_big_ints_as_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _big_ints_as_floats(item) for key, item in value.items()}
    return value


def matches(source: str | None, variables: dict[str, Any], refuse_costly: bool = False) -> bool:
    """True when there is no expression or it evaluates to true. An expression that does not
    compile matches nothing (the engine's callers validated theirs when they took them)."""
    if not source:
        return True
    try:
        return evaluate(source, variables, refuse_costly) is True
    except ExpressionTooCostly:
        raise
    except ExpressionError:
        return False


def _to_python(value: Any) -> Any:
    if isinstance(value, celpy.celtypes.BoolType):
        return bool(value)
    if isinstance(value, celpy.celtypes.IntType | celpy.celtypes.UintType):
        return int(value)
    if isinstance(value, celpy.celtypes.DoubleType):
        return float(value)
    if isinstance(value, celpy.celtypes.StringType):
        return str(value)
    if isinstance(value, celpy.celtypes.ListType):
        return [_to_python(item) for item in value]
    if isinstance(value, celpy.celtypes.MapType):
        return {str(k): _to_python(v) for k, v in value.items()}
    return value
