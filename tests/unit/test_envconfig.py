"""Settings from the environment: typed, with defaults, refusing malformed values with a
message naming the variable."""

import pytest

from foundation.env import ConfigError, env_bool, env_float, env_int, env_list, env_str

NAME = "DEVSERVER_TEST_ONLY_VARIABLE"


@pytest.fixture
def env(monkeypatch):
    def set_to(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(NAME, raising=False)
        else:
            monkeypatch.setenv(NAME, value)

    return set_to


@pytest.mark.parametrize("value", [None, ""])
def test_unset_or_empty_variables_give_the_default(env, value):
    env(value)
    assert env_str(NAME, "d") == "d"
    assert env_int(NAME, 7) == 7
    assert env_float(NAME, 0.5) == 0.5
    assert env_bool(NAME, True) is True
    assert env_list(NAME, ["a"]) == ["a"]


def test_set_values_are_read_with_their_type(env):
    env("42")
    assert env_str(NAME, "d") == "42"
    assert env_int(NAME, 7) == 42
    assert env_float(NAME, 0.5) == 42.0


@pytest.mark.parametrize("raw", ["4.5", "ten", "0x10"])
def test_a_whole_number_setting_refuses_other_text_naming_the_variable(env, raw):
    env(raw)
    with pytest.raises(ConfigError, match=f"{NAME} must be a whole number, got '{raw}'"):
        env_int(NAME, 1)


def test_numbers_below_the_minimum_are_refused(env):
    env("0")
    with pytest.raises(ConfigError, match=f"{NAME} must be at least 1, got 0"):
        env_int(NAME, 5, minimum=1)
    env("-0.1")
    with pytest.raises(ConfigError, match="at least 0.0"):
        env_float(NAME, 1.0)
    env("fast")
    with pytest.raises(ConfigError, match=f"{NAME} must be a number"):
        env_float(NAME, 1.0)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), (" YES ", True), ("on", True)]
    + [("0", False), ("False", False), ("no", False), ("off", False)],
)
def test_booleans_accept_the_usual_spellings(env, raw, value):
    env(raw)
    assert env_bool(NAME, not value) is value


def test_a_boolean_setting_refuses_anything_else(env):
    env("maybe")
    with pytest.raises(ConfigError, match=f"{NAME} must be true or false"):
        env_bool(NAME, False)


def test_lists_are_comma_separated_and_trimmed(env):
    env(" http://a:3000/api , ,http://b:3000/api ")
    assert env_list(NAME, []) == ["http://a:3000/api", "http://b:3000/api"]
    env("   ")
    assert env_list(NAME, ["default"]) == ["default"]
