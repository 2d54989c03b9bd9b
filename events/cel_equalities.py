"""The shape most trigger, cancelOn and waitForEvent expressions have, `event.data.plan == "pro"`
(equalities of a field and a literal, joined by `&&`), decided in plain Python.

The interpreter first converts the whole payload to CEL values and then walks the tree: about
half a millisecond for one such match on 2 cores, paid for every stored event against every
function whose trigger has an `if` (lifecycle events included). Deciding here takes a few
microseconds. Only what has one answer is decided: every field present and of exactly the
literal's type (a string, an int64, a double, a bool, or null against null). Anything else (a
missing field, a type the interpreter would compare its own way, `1 == 1.0`, a bool against an
int) is left to the interpreter, so the answer is always the interpreter's;
tests/unit/test_cel_equalities.py holds the two to the same results."""

from typing import Any

import celpy
import lark

Path = tuple[str, ...]  # a variable and the keys under it: ("event", "data", "plan")
Equality = tuple[Path, Any]  # a field and the literal it must equal

_INT64 = (-(2**63), 2**63)
_LITERAL_TYPES = (
    celpy.celtypes.StringType,
    celpy.celtypes.IntType,
    celpy.celtypes.DoubleType,
    celpy.celtypes.BoolType,
)


def equalities_of(ast: lark.Tree) -> tuple[Equality, ...] | None:
    """The expression's equalities when it is only `field == literal` terms joined by `&&`
    (either side of each `==`); None for any other expression."""
    terms = _conjunction_terms(_single_child(ast, "expr"))
    if terms is None:
        return None
    equalities = []
    for term in terms:
        equality = _equality(term)
        if equality is None:
            return None
        equalities.append(equality)
    return tuple(equalities)


def decide(equalities: tuple[Equality, ...], variables: dict[str, Any]) -> bool | None:
    """True or False when every field is present and of its literal's type; None: let the
    interpreter answer."""
    verdict = True
    for path, literal in equalities:
        value = _lookup(variables, path)
        if value is _MISSING or not _same_type(value, literal):
            return None
        verdict = verdict and value == literal
    return verdict


_MISSING = object()


def _lookup(variables: dict[str, Any], path: Path) -> Any:
    value: Any = variables
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _same_type(value: Any, literal: Any) -> bool:
    if literal is None:
        return value is None
    if type(value) is not type(literal):  # bool is not int here, nor int float
        return False
    return not isinstance(value, int) or _INT64[0] <= value < _INT64[1]


def _single_child(tree: Any, rule: str) -> Any:
    """The one child of a pass-through node of `rule`, or None."""
    if isinstance(tree, lark.Tree) and tree.data == rule and len(tree.children) == 1:
        return tree.children[0]
    return None


def _conjunction_terms(tree: Any) -> list[Any] | None:
    """The relations of `a && b && c` (a `conditionalor` with one branch)."""
    node = _single_child(tree, "conditionalor")
    if not isinstance(node, lark.Tree) or node.data != "conditionaland":
        return None
    terms: list[Any] = []
    while isinstance(node, lark.Tree) and node.data == "conditionaland":
        if len(node.children) == 1:
            terms.append(node.children[0])
            break
        if len(node.children) != 2:
            return None
        left, right = node.children
        terms.append(right)
        node = left
    return terms


def _equality(term: Any) -> Equality | None:
    """`relation(relation_eq(relation(<left>)), <right>)`: one side a field, the other a
    literal."""
    if not isinstance(term, lark.Tree) or term.data != "relation" or len(term.children) != 2:
        return None
    operator_node, right = term.children
    left = _single_child(_single_child(operator_node, "relation_eq"), "relation")
    for field_side, literal_side in ((left, right), (right, left)):
        path = _path(_operand(field_side))
        literal = _literal(_operand(literal_side))
        if path is not None and literal is not _MISSING:
            return path, literal
    return None


def _operand(tree: Any) -> Any:
    """The `member` under an operand's pass-through levels (addition, multiplication, unary)."""
    for rule in ("addition", "multiplication", "unary"):
        tree = _single_child(tree, rule)
    return tree if isinstance(tree, lark.Tree) and tree.data == "member" else None


def _path(member: Any) -> Path | None:
    """`event.data.plan` as ("event", "data", "plan"); None for any other member."""
    keys: list[str] = []
    node = member
    while isinstance(node, lark.Tree) and node.data == "member":
        [inner] = node.children if len(node.children) == 1 else [None]
        if isinstance(inner, lark.Tree) and inner.data == "member_dot" and len(inner.children) == 2:
            node, name = inner.children
            if not isinstance(name, lark.Token):
                return None
            keys.append(str(name))
            continue
        if isinstance(inner, lark.Tree) and inner.data == "primary" and len(inner.children) == 1:
            ident = inner.children[0]
            if isinstance(ident, lark.Tree) and ident.data == "ident" and ident.children:
                keys.append(str(ident.children[0]))
                return tuple(reversed(keys))
        return None
    return None


def _literal(member: Any) -> Any:
    """The Python value of a string, int, double, bool or null literal; _MISSING otherwise."""
    if not isinstance(member, lark.Tree) or len(member.children) != 1:
        return _MISSING
    primary = member.children[0]
    if not isinstance(primary, lark.Tree) or primary.data != "primary":
        return _MISSING
    [literal] = primary.children if len(primary.children) == 1 else [None]
    if not isinstance(literal, lark.Tree) or literal.data != "literal" or not literal.children:
        return _MISSING
    # The interpreter reads the literal (escapes, raw and triple-quoted strings, hex ints), so
    # its value is exactly the one the interpreter would compare with.
    value = celpy.evaluation.Evaluator(literal, celpy.evaluation.Activation()).evaluate()
    if value is None or isinstance(value, celpy.celtypes.NullType):
        return None
    if not isinstance(value, _LITERAL_TYPES):
        return _MISSING
    if isinstance(value, celpy.celtypes.BoolType):
        return bool(value)
    if isinstance(value, celpy.celtypes.IntType):
        return int(value)
    if isinstance(value, celpy.celtypes.DoubleType):
        return float(value)
    return str(value)
