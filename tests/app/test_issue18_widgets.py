"""Charts and words of issue 18 without a store: every month on the axis, partial months, the heatmap
fitted to the range, rank changes, the Models page's sentence."""

from __future__ import annotations

from datetime import date, timedelta

from app.pages.models_words import how_often, sentence, status_words, training_words
from app.pages.stats_data import period_bars
from app.widgets.bars import Bars
from app.widgets.heatmap import HeatmapCalendar
from app.widgets.ranked import change_text
from core.jobs import Progress


def test_every_month_is_a_bar_and_partial_months_carry_their_pace():
    days = {date(2024, 1, 20) + timedelta(days=i): 10 for i in range(0, 173)}  # 20 Jan .. 10 Jul
    title, bars = period_bars(days, (min(days), max(days)))
    assert title == "Plays per month"
    assert [b.label for b in bars] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul"]
    assert {b.group for b in bars} == {"2024"}
    jan, jul = bars[0], bars[-1]
    assert jan.value == 120 and jan.full_value == 120 * 31 / 12  # 12 of 31 days covered
    assert jul.value == 100 and jul.full_value == 100 * 31 / 10
    assert all(b.full_value is None for b in bars[1:-1])
    # a quiet stretch inside the history is real zero listening, not a partial month
    quiet = {d: n for d, n in days.items() if d.month != 4}
    _title, bars = period_bars(quiet, (min(days), max(days)))
    assert bars[3].label == "Apr" and bars[3].value == 0 and bars[3].full_value is None


def test_a_short_range_is_charted_per_day():
    days = {date(2024, 6, 2) + timedelta(days=i): i for i in range(30)}
    title, bars = period_bars(days, (min(days), max(days)))
    assert title == "Plays per day" and len(bars) == 30 and bars[0].label == "2"


def test_month_labels_thin_to_calendar_steps_without_cutting(qtbot):
    days = {date(2010, 1, 1) + timedelta(days=i): 1 for i in range(0, 3650, 3)}
    _t, bars = period_bars(days, None)
    chart = Bars()
    qtbot.addWidget(chart)
    chart.set_bars(bars)
    chart.resize(1200, 200)
    wide = chart.labels_shown()
    chart.resize(500, 200)
    narrow = chart.labels_shown()
    assert len(wide) > len(narrow) > 0
    assert (
        set(narrow) <= {"Jan", "Apr", "Jul", "Oct"} or set(narrow) <= {"Jan", "Jul"} or set(narrow) == {"Jan"}
    )


def test_the_heatmap_fits_a_short_range_and_pages_a_long_one(qtbot):
    heat = HeatmapCalendar()
    qtbot.addWidget(heat)
    month = {date(2024, 6, 1) + timedelta(days=i): 3 for i in range(30)}
    heat.set_days(month, date(2024, 6, 1), date(2024, 6, 30))
    assert heat.grid.weeks == 5 and not heat.prev.isVisibleTo(heat)
    years = {date(2020, 1, 1) + timedelta(days=i): 1 for i in range(0, 1000, 2)}
    heat.set_days(years)
    assert heat.grid.weeks == 53 and heat.prev.isVisibleTo(heat) and heat.prev.isEnabled()


def test_rank_change_words():
    assert [change_text(1, 4, True), change_text(3, 1, True), change_text(2, 2, True)] == ["▲3", "▼2", "="]
    assert change_text(5, None, True) == "new" and change_text(5, None, False) == ""


def test_the_models_sentence_a_listener_reads():
    rows = [
        {"model": "default", "hr@10": 0.34, "ndcg@10": 0.3, "n_test": 1155},
        {"model": "markov_recency", "hr@10": 0.281, "ndcg@10": 0.25, "n_test": 1155},
    ]
    assert sentence(rows) == (
        "default was right about 1 time in 3 on your last 1,155 plays (the track you played next was in "
        "its top 10), 21% better than the simple baseline (markov_recency)."
    )
    rows[1]["hr@10"] = 0.4
    assert "15% worse than the simple baseline" in sentence(rows)
    assert how_often(0.72) == "about 7 times in 10" and how_often(0) == "never"
    p = Progress(2, 100, "default: epoch 2/100, loss 8.101, validation HR@10 0.010 NDCG@10 0.006")
    assert training_words(p) == (
        "pass 2 of at most 100 over your plays; right 1% of the time on plays held back to check"
    )
    assert status_words(p) == "training · pass 2"


def test_a_small_share_axis_keeps_the_decimals_its_ticks_need(qtbot):
    from app.widgets.insights_chart import WeeklyChart

    chart = WeeklyChart(unit="share")
    qtbot.addWidget(chart)
    weeks = [(date(2024, 1, 1) + timedelta(weeks=i), 0.001 * (i % 12)) for i in range(30)]  # 0 .. 1.1%
    chart.set_series([("late-night plays", weeks, "main")])
    n, top = chart.y.tickCount(), chart.y.max()
    labels = [chart.y.labelFormat() % (top * i / (n - 1)) for i in range(n)]
    assert len(set(labels)) == n, labels  # never "1%, 0%, 0%"
    assert labels[0].startswith("0") and labels[-1].endswith("%")
