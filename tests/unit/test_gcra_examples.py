"""Worked examples of the rate arithmetic (the properties live in test_gcra_properties.py):
concrete times a reader can check by hand."""

from datetime import UTC, datetime, timedelta

from flowcontrol.gcra import decide, sliding_window

T0 = datetime(2030, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_throttle_first_arrival_goes_at_once_and_books_one_interval():
    decision = decide(None, T0, limit=6, period=MINUTE, burst=1)
    assert decision.allowed_at == T0 and decision.new_tat == at(10)


def test_throttle_spaces_back_to_back_arrivals_one_interval_apart():
    tat, starts = None, []
    for _ in range(4):
        decision = decide(tat, T0, limit=6, period=MINUTE, burst=1)
        tat = decision.new_tat
        starts.append(decision.allowed_at)
    assert starts == [at(0), at(10), at(20), at(30)]


def test_throttle_burst_lets_that_many_go_at_once_then_spaces_the_rest():
    tat, starts = None, []
    for _ in range(5):
        decision = decide(tat, T0, limit=6, period=MINUTE, burst=3)
        tat = decision.new_tat
        starts.append(decision.allowed_at)
    assert starts == [at(0), at(0), at(0), at(10), at(20)]


def test_throttle_forgets_an_old_theoretical_arrival_time():
    decision = decide(at(10), at(3600), limit=6, period=MINUTE, burst=1)
    assert decision.allowed_at == at(3600) and decision.new_tat == at(3610)


def test_throttle_with_a_zero_limit_behaves_as_a_limit_of_one():
    assert decide(None, T0, limit=0, period=MINUTE, burst=0).new_tat == at(60)


def test_rate_limit_window_admits_up_to_the_limit_then_drops():
    window: list[datetime] = []
    verdicts = []
    for second in (0, 1, 2, 3):
        allowed, window = sliding_window(window, at(second), limit=3, period=MINUTE)
        verdicts.append(allowed)
    assert verdicts == [True, True, True, False]
    assert window == [at(0), at(1), at(2)]  # a dropped arrival is not kept


def test_rate_limit_window_slides_a_start_out_after_exactly_one_period():
    window = [at(0), at(1)]
    assert sliding_window(window, at(59.999), limit=2, period=MINUTE)[0] is False
    allowed, kept = sliding_window(window, at(60), limit=2, period=MINUTE)
    assert allowed and kept == [at(1), at(60)]


def test_rate_limit_window_keeps_only_the_last_period_sorted():
    allowed, kept = sliding_window([at(90), at(0), at(70)], at(100), limit=5, period=MINUTE)
    assert allowed and kept == [at(70), at(90), at(100)]
