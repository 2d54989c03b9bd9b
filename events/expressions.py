"""CEL expressions (trigger `if`, keys, filters): compiled once, cached, evaluated safely."""

from functools import lru_cache
from typing import Any

import celpy
from celpy.celparser import CELParseError

_ENVIRONMENT = celpy.Environment()


class ExpressionError(ValueError):
    """An expression that does not compile."""


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> celpy.Runner:
    """Compile `source` once; raise ExpressionError with the parser's message if it is bad."""
    try:
        ast = _ENVIRONMENT.compile(source)
    except CELParseError as exc:
        raise ExpressionError(f"invalid expression {source!r}: {exc}") from None
    return _ENVIRONMENT.program(ast)


def validate_expression(source: str) -> None:
    compile_expression(source)


def evaluate(source: str, variables: dict[str, Any]) -> Any:
    """Evaluate to a Python value. A runtime error (missing field, bad types) yields None."""
    program = compile_expression(source)
    activation = {name: _to_cel(value) for name, value in variables.items()}
    try:
        result = program.evaluate(activation)
    except celpy.CELEvalError:
        return None
    except RecursionError:  # compiles, but nests too deep to evaluate: no value, not a crash
        return None
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


def matches(source: str | None, variables: dict[str, Any]) -> bool:
    """True when there is no expression or it evaluates to true."""
    if not source:
        return True
    return evaluate(source, variables) is True


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
