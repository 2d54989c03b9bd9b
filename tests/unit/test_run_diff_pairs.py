"""runs/run_diff.py's pure part: steps paired by id, and which fields of a pair differ (a
duration only when one side took twice as long and 100 ms more)."""

from runs.run_diff import Side, compare, pair_steps


def _side(name: str, **fields) -> Side:
    base = {"status": "Completed", "attempts": 1, "duration_ms": 100.0}
    return Side(name, **(base | fields))


def test_steps_pair_by_id_in_a_order_then_the_ones_only_b_has():
    a = [("h1", _side("one")), ("h2", _side("two"))]
    b = [("h3", _side("three")), ("h1", _side("one"))]
    pairs = pair_steps(a, b)
    assert [(p.name, p.differs) for p in pairs] == [
        ("one", []),
        ("two", ["presence"]),
        ("three", ["presence"]),
    ]
    assert pairs[1].b is None and pairs[2].a is None


def test_each_differing_field_is_named_with_its_json_changes():
    a = _side("charge", output={"ok": True, "id": 1})
    b = _side("charge", error={"name": "Error", "message": "card declined"}, attempts=4,
              status="Failed")  # fmt: skip
    pair = compare("h", a, b)
    assert pair.differs == ["output", "error", "attempts", "status"]
    assert [c.path for c in pair.json_changes["output"]] == ["$"]
    assert pair.json_changes["error"][0].new["message"] == "card declined"


def test_a_duration_differs_only_when_twice_as_long_and_100_ms_more():
    assert compare("h", _side("s", duration_ms=100.0), _side("s", duration_ms=180.0)).differs == []
    assert compare("h", _side("s", duration_ms=10.0), _side("s", duration_ms=90.0)).differs == []
    assert compare("h", _side("s", duration_ms=100.0), _side("s", duration_ms=250.0)).differs == [
        "duration_ms"
    ]
    assert compare("h", _side("s"), _side("s", duration_ms=None)).differs == ["duration_ms"]
