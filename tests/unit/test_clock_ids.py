"""The seam for time and ids: timezone-aware UTC, ULIDs ordered by creation time, id floors
for time filters, and the shared offset file the fault tests use to jump the clock."""

from datetime import UTC, datetime, timedelta

import pytest

from foundation import clock

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_now_is_timezone_aware_utc():
    now = clock.now()
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_now_ms_is_now_in_milliseconds():
    before = int(datetime.now(UTC).timestamp() * 1000)
    assert before <= clock.now_ms() <= int(datetime.now(UTC).timestamp() * 1000)


def test_new_ids_are_26_character_ulids_and_unique():
    ids = {clock.new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 26 and set(i) <= CROCKFORD for i in ids)


def test_an_id_made_now_sorts_between_the_floors_of_just_before_and_just_after():
    now = clock.now()
    made = clock.new_id()
    assert clock.id_floor(now - timedelta(milliseconds=1)) <= made
    assert made < clock.id_floor(now + timedelta(seconds=1))


def test_id_floors_sort_like_the_times_they_stand_for():
    moments = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=m) for m in (0, 1, 999)]
    floors = [clock.id_floor(m) for m in moments]
    assert floors == sorted(floors) and len(set(floors)) == 3
    assert all(f.endswith("0" * 16) and len(f) == 26 for f in floors)


def test_jitter_is_in_the_unit_interval():
    samples = [clock.jitter_fraction() for _ in range(500)]
    assert all(0 <= s < 1 for s in samples)
    assert len(set(samples)) > 400


@pytest.fixture
def offset_file(tmp_path, monkeypatch):
    path = tmp_path / "clock-offset"
    monkeypatch.setattr(clock, "_offset", clock._Offset(path=str(path)))
    monkeypatch.setattr(clock, "OFFSET_REFRESH", 0.0)
    return path


def test_the_offset_file_jumps_the_clock_forward_and_back(offset_file):
    offset_file.write_text("3600")
    assert clock.now() - datetime.now(UTC) > timedelta(minutes=59)
    offset_file.write_text("-3600")
    assert datetime.now(UTC) - clock.now() > timedelta(minutes=59)


def test_a_missing_or_half_written_offset_file_keeps_the_last_offset(offset_file):
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)  # no file yet: 0
    offset_file.write_text("120")
    assert clock.now() - datetime.now(UTC) > timedelta(seconds=110)
    offset_file.write_text("12x")
    assert clock.now() - datetime.now(UTC) > timedelta(seconds=110)
    offset_file.unlink()
    assert clock.now() - datetime.now(UTC) > timedelta(seconds=110)
