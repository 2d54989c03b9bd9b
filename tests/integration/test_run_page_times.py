"""Every absolute time on the run page is a `<time data-t datetime=ISO>` element, which the
page's time switch (local, relative, UTC) rewrites; times relative to the run's start are
said in words by the server."""

import re
from datetime import datetime

from django.test import Client, override_settings

from tests.integration.drive import TimeTravel, run_until_quiet, send_event
from tests.integration.fake_sdk import FakeSdk, completed, ops, sleep

TIME_ELEMENT = re.compile(r'<time data-t datetime="([^"]+)">([^<]+)</time>')
A_DATE = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


@override_settings(REQUIRE_LOGIN=False)
def test_absolute_times_are_time_elements_and_relative_ones_words(
    fake_sdk: FakeSdk, time_travel: TimeTravel
):
    fake_sdk.add_function("fake-dozer", [ops(sleep("nap", "1m")), completed("rested")])
    fake_sdk.sync()
    [run] = send_event("test/go")
    run_until_quiet()
    nap = run.steps.get(name="nap")

    for query in ("", f"?step={nap.hashed_id}"):
        page = Client().get(f"/runs/{run.id}/{query}").content.decode()
        times = TIME_ELEMENT.findall(page)
        assert len(times) >= 3, query  # queued, started, the history (and the wake time)
        for iso, text in times:
            assert datetime.fromisoformat(iso).utcoffset() is not None, iso  # zone included
            assert text == datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
        assert not A_DATE.search(TIME_ELEMENT.sub("", page)), query  # no bare dates left

    panel = Client().get(f"/runs/{run.id}/?fragment=panel&step={nap.hashed_id}").content.decode()
    wake = panel[panel.index('id="sleep-wake"') :]
    assert TIME_ELEMENT.search(wake)
    assert re.search(r"in (59 s|1 min)", wake) and "1 min after start" in wake
    time_travel.advance(61)
    run_until_quiet()
    later = Client().get(f"/runs/{run.id}/?fragment=panel&step={nap.hashed_id}").content.decode()
    assert ">Woke</dt>" in later
