"""Cron schedules as functions register them: the optional time-zone prefix, validation with a
message naming the schedule, and the next tick."""

from datetime import UTC, datetime

import pytest

from foundation.schedules import CronError, next_fire_time, split_cron


@pytest.mark.parametrize(
    ("spec", "expression", "zone"),
    [
        ("*/5 * * * *", "*/5 * * * *", "UTC"),
        ("  0 9 * * 1-5  ", "0 9 * * 1-5", "UTC"),
        ("CRON_TZ=America/New_York 0 9 * * *", "0 9 * * *", "America/New_York"),
        ("tz=Asia/Tokyo 0 0 1 * *", "0 0 1 * *", "Asia/Tokyo"),
        ("@daily", "@daily", "UTC"),
    ],
)
def test_schedules_split_into_expression_and_zone(spec, expression, zone):
    parsed_expression, parsed_zone = split_cron(spec)
    assert parsed_expression == expression and str(parsed_zone) == zone


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("every day", "invalid cron expression 'every day'"),
        ("61 * * * *", "invalid cron expression"),
        ("TZ=UTC", "invalid cron expression 'TZ=UTC'"),
        ("TZ= 0 9 * * *", "unknown time zone ''"),
        ("TZ=../../etc/passwd 0 9 * * *", "unknown time zone '../../etc/passwd'"),
    ],
)
def test_unusable_schedules_are_refused_naming_them(spec, message):
    with pytest.raises(CronError, match=message):
        split_cron(spec)


def test_a_schedule_that_never_fires_is_refused():
    with pytest.raises(CronError):
        split_cron("0 0 31 2 *")


def test_the_next_tick_is_strictly_after_the_given_time():
    at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert next_fire_time("0 12 * * *", at) == datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    assert next_fire_time("*/15 * * * *", at) == datetime(2026, 1, 1, 12, 15, tzinfo=UTC)


def test_a_weekday_schedule_skips_the_weekend():
    friday_evening = datetime(2026, 1, 2, 18, 0, tzinfo=UTC)
    assert next_fire_time("0 9 * * 1-5", friday_evening) == datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_a_zoned_schedule_follows_daylight_saving_time():
    """9:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer."""
    winter = next_fire_time("TZ=America/New_York 0 9 * * *", datetime(2026, 1, 10, tzinfo=UTC))
    summer = next_fire_time("TZ=America/New_York 0 9 * * *", datetime(2026, 7, 10, tzinfo=UTC))
    assert winter.astimezone(UTC) == datetime(2026, 1, 10, 14, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2026, 7, 10, 13, tzinfo=UTC)
