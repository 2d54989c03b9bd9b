"""console/pages/charts.py: the function page's SVG geometry (a bar per busy interval, lines
broken where no run ended, a round axis top)."""

from datetime import UTC, datetime, timedelta

from console.pages.charts import HEIGHT, bar_chart, line_chart

STARTS = [datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(minutes=i) for i in range(4)]


def test_a_bar_per_busy_interval_scaled_to_a_round_top():
    chart = bar_chart("started", "Runs started", STARTS, [0, 3, 0, 7], "10 runs", "runs")
    assert chart.top == 10
    assert [b.height for b in chart.bars] == [
        round(3 / 10 * (HEIGHT - 8), 2),
        round(7 / 10 * (HEIGHT - 8), 2),
    ]
    assert chart.bars[1].title == "12:03 UTC: 7 runs"
    assert (chart.first, chart.last) == ("12:00 UTC", "12:03 UTC")


def test_lines_break_where_no_run_ended_and_a_lone_value_stays_visible():
    chart = line_chart("duration", "Run duration", STARTS,
                       {"p50": [10.0, 20.0, None, 5.0]}, "p50 10 ms")  # fmt: skip
    [line] = chart.lines
    assert len(line.points) == 2
    assert len(line.points[0].split()) == 2
    lone = line.points[1].split()
    assert len(lone) == 2 and lone[0] != lone[1]  # a short level stroke, not a point


def test_an_empty_window_draws_nothing_with_a_top_of_one():
    chart = bar_chart("failed", "Failures", STARTS, [0, 0, 0, 0], "0 failed", "failed")
    assert (chart.bars, chart.top) == ([], 1.0)
