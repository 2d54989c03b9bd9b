"""The event a waitForEvent step waits for, as time travel's "send the awaited event" form
offers it: the step's event name, and the data its `if` expression asks for, read from the
parsed CEL: each `async.data.<path> == <value>` that must hold (joined by `&&`) gives the path
that value, where the value is a literal or an expression of the run's own `event`
(`async.data.orderId == event.data.orderId` -> `{"orderId": <the triggering event's>}`).
Anything else (`>`, `||`, functions of `async`) is left for the user to fill."""

from dataclasses import dataclass, field
from typing import Any

import lark

from events.expressions import ExpressionError, compile_expression, evaluate

# Parse-tree rules that only wrap one child: walked through on the way to an `==`.
_WRAPPERS = frozenset(
    {"expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication",
     "unary", "member", "primary", "paren_expr"}
)  # fmt: skip
_AWAITED = "async"  # the awaited event's name in a wait's expression


@dataclass
class AwaitedEvent:
    name: str
    expression: str  # the wait's `if` ("" when any such event will do)
    data: dict[str, Any] = field(default_factory=dict)
    # Whether `data` alone satisfies the expression as far as it was read: every term was an
    # equality we filled. False: check the data against the expression before sending.
    complete: bool = True


def awaited_event(name: str, expression: str, original: dict[str, Any]) -> AwaitedEvent:
    """The awaited event `name` prefilled from `expression`, where `event` is `original` (the
    waiting run's triggering event payload)."""
    awaited = AwaitedEvent(name=name, expression=expression)
    if not expression:
        return awaited
    try:
        tree = compile_expression(expression).ast  # cached: the engine compiled it already
    except ExpressionError:
        awaited.complete = False
        return awaited
    terms, awaited.complete = _required_terms(tree)
    for left, right in terms:
        filled = _fill(awaited.data, expression, left, right, original) or _fill(
            awaited.data, expression, right, left, original
        )
        awaited.complete &= filled
    return awaited


def _required_terms(tree: lark.Tree) -> tuple[list[tuple[lark.Tree, lark.Tree]], bool]:
    """The `==` comparisons that must all hold (the two operands of each), walked through
    `&&`, parentheses and one-child wrappers; and whether every required term was one. A
    `||`, `!` or `?:` stops the walk there: none of its terms is required on its own."""
    equalities: list[tuple[lark.Tree, lark.Tree]] = []
    only_equalities = True
    stack = [tree]
    while stack:
        node = stack.pop()
        children = [c for c in node.children if isinstance(c, lark.Tree)]
        if node.data == "relation" and len(children) == 2 and children[0].data == "relation_eq":
            equalities.append((children[0].children[0], children[1]))
        elif node.data == "conditionaland" and len(children) == 2:
            stack.extend(reversed(children))
        elif node.data in _WRAPPERS and len(node.children) == 1 and children:
            stack.append(children[0])
        else:
            only_equalities = False
    return equalities, only_equalities


def _fill(
    data: dict[str, Any], source: str, target: lark.Tree, value: lark.Tree, original: Any
) -> bool:
    """Set `data` at `target`'s path (when it is `async.data.<path>`) to `value` evaluated
    over the run's event (when it does not read `async`). False when either does not hold."""
    path = _awaited_data_path(target)
    text = _source_of(value, source)
    if not path or text is None or _reads_awaited(value):
        return False
    result = evaluate(text, {"event": original})
    literal = _literal(value)
    if result is None and (literal is None or literal.type != "NULL_LIT"):
        return False  # a runtime error (a field the event lacks): left for the user
    *parents, leaf = path
    node = data
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):  # another term set a value here already
            return False
    node[leaf] = result
    return True


def _awaited_data_path(node: lark.Tree) -> list[str] | None:
    """`async.data.a["b"].c` -> ["a", "b", "c"]; None for anything else."""
    path: list[str] = []
    while True:
        children = node.children
        if node.data == "member_dot":
            member, name = children
            path.insert(0, str(name))
            node = member
        elif node.data == "member_index":
            member, index = children
            key = _string_literal(index)
            if key is None:
                return None
            path.insert(0, key)
            node = member
        elif node.data == "primary" and _ident(node) == _AWAITED:
            return path[1:] if len(path) > 1 and path[0] == "data" else None
        elif node.data in _WRAPPERS and len(children) == 1 and isinstance(children[0], lark.Tree):
            node = children[0]
        else:
            return None


def _source_of(node: lark.Tree, source: str) -> str | None:
    """The text of `node` in `source`; a bare `true` or `false` carries no position (the
    parser makes it a literal after the fact), so it is read from its token."""
    start, end = getattr(node.meta, "start_pos", None), getattr(node.meta, "end_pos", None)
    if start is not None and end is not None:
        return source[start:end]
    token = _literal(node)
    return str(token) if token is not None else None


def _string_literal(node: lark.Tree) -> str | None:
    token = _literal(node)
    if token is None or token.type != "STRING_LIT":
        return None
    value = evaluate(str(token), {})  # CEL's own reading of its quotes and escapes
    return value if isinstance(value, str) else None


def _literal(node: lark.Tree) -> lark.Token | None:
    while node.data in _WRAPPERS and len(node.children) == 1:
        if not isinstance(node.children[0], lark.Tree):
            return None
        node = node.children[0]
    if node.data != "literal" or not isinstance(node.children[0], lark.Token):
        return None
    return node.children[0]


def _ident(primary: lark.Tree) -> str | None:
    children = primary.children
    if len(children) == 1 and isinstance(children[0], lark.Tree) and children[0].data == "ident":
        return str(children[0].children[0])
    return None


def _reads_awaited(node: lark.Tree) -> bool:
    return any(
        sub.data == "ident" and str(sub.children[0]) == _AWAITED for sub in node.iter_subtrees()
    )
