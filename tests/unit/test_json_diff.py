"""foundation/json_diff.py: changed paths of two JSON values and their aligned side-by-side
lines, as the run diff shows them."""

from foundation.json_diff import changes, side_by_side


def test_changed_added_and_removed_leaves_are_named_by_path():
    old = {"user": {"name": "Ada", "tags": ["a", "b"]}, "gone": 1, "same": True}
    new = {"user": {"name": "Bob", "tags": ["a"]}, "new key": 2, "same": True}
    found = {(c.path, c.kind, c.old, c.new) for c in changes(old, new)}
    assert found == {
        ("$.gone", "removed", 1, None),
        ('$["new key"]', "added", None, 2),
        ("$.user.name", "changed", "Ada", "Bob"),
        ("$.user.tags[1]", "removed", "b", None),
    }


def test_equal_values_have_no_changes_but_true_is_not_one():
    assert changes({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]}) == []
    assert [c.path for c in changes({"a": True}, {"a": 1})] == ["$.a"]
    assert [c.kind for c in changes(None, {"a": 1})] == ["changed"]


def test_side_by_side_aligns_lines_and_marks_only_the_changed_ones():
    left, right = side_by_side({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4})
    assert len(left) == len(right)
    assert [(line.text.strip(), line.kind) for line in left] == [
        ("{", "same"),
        ('"a": 1,', "same"),
        ('"b": 2', "removed"),
        ("", "blank"),
        ("}", "same"),
    ]
    assert [line.kind for line in right] == ["same", "same", "added", "added", "same"]


def test_key_order_alone_is_no_difference():
    left, right = side_by_side({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert {line.kind for line in left + right} == {"same"}
