"""What the Insights page says: one sentence per indicator against the usual, and empty states where the
tags or audio features behind an indicator cover too few plays."""

from __future__ import annotations

from core.insights.summary import cards, headline, latest_week, sentence, variety_words


def _week(
    day: str,
    plays: int = 100,
    rep: float = 0.2,
    sad: float = 0.1,
    mood_cov: float = 0.8,
    audio_cov: float = 0.0,
    **extra,
) -> dict:
    return {
        "week": day,
        "plays": plays,
        "repetition": rep,
        "repetition_within_session": 0.05,
        "repetition_across_sessions": 0.3,
        "artist_repetition": 0.5,
        "diversity": 5.0,
        "tag_diversity": 7.0,
        "late_night_share": 0.1,
        "session_minutes": 60.0,
        "session_plays": 12.0,
        "mood": {"sad": sad, "calm": 0.3, "happy": 0.2, "coverage": mood_cov},
        "tag_coverage": mood_cov,
        "valence": 0.5 if audio_cov else None,
        "energy": 0.6 if audio_cov else None,
        "audio_coverage": audio_cov,
        "baseline": {},
        "sentences": {},
        **extra,
    }


def test_sentences_say_how_the_week_compares_with_the_usual():
    w = _week(
        "2024-03-04",
        rep=0.48,
        baseline={"repetition": 0.2},
        sentences={"repetition": "more repetitive than your usual"},
    )
    assert sentence(w, "repetition", "share", "repeated plays") == (
        "Week of 4 Mar 2024: more repetitive than your usual — repeated plays 48% (usually about 20%)."
    )
    calm = _week("2024-03-04", baseline={"repetition": 0.19})
    assert "within your usual range" in sentence(calm, "repetition", "share", "repeated plays")
    assert "needs 4 earlier weeks" in sentence(_week("2024-03-04"), "repetition", "share", "repeats")
    assert sentence(None, "repetition", "share", "repeats").startswith("No week yet")
    assert "more repetitive" in headline([w]) and "4 Mar 2024" in headline([w])


def test_cards_chart_the_range_and_refuse_thin_coverage():
    weeks = [_week(f"2024-{m:02d}-{d:02d}", audio_cov=0.05) for m in range(1, 13) for d in (1, 8, 15, 22)]
    weeks = [w for w in weeks if w["week"] <= "2024-12-31"]
    by_key = {c.key: c for c in cards(weeks, "6m")}
    assert 20 <= len(by_key["repetition"].series[0].points) <= 27  # the last 26 calendar weeks
    assert not by_key["mood"].empty and by_key["mood"].series[0].points
    assert (
        by_key["audio"].empty.startswith("Only 5% of your plays")
        and by_key["audio"].actions == ("music_folder", "import_audio")  # the page offers them as buttons
    )
    thin = [dict(w, mood={**w["mood"], "coverage": 0.1}) for w in weeks]
    assert "too few" in {c.key: c for c in cards(thin, "all")}["mood"].empty
    quiet = [dict(w, plays=5) for w in weeks]  # weeks below 20 plays are not charted
    assert {c.key: c for c in cards(quiet, "all")}["repetition"].series[0].points == []


def test_a_partial_last_week_is_charted_but_not_judged():
    from core.insights.indicators import _compare_with_baseline

    weeks = [_week(f"2024-{m:02d}-{d:02d}") for m in (1, 2, 3) for d in (1, 8, 15, 22)]
    for w in weeks:
        w.update(days=7, partial=False, session_minutes=60.0)
    weeks[-1].update(days=4, partial=True, session_minutes=5.0)  # four days in: sessions look short
    _compare_with_baseline(weeks)
    assert weeks[-1]["sentences"] == {} and weeks[-1]["baseline"] == {}
    assert latest_week(weeks) is weeks[-2]
    assert "only 4 of its 7 days" in headline(weeks) and "shorter sessions" not in headline(weeks)
    by_key = {c.key: c for c in cards(weeks, "all")}
    assert by_key["session_minutes"].series[0].points[-1][1] == 5.0  # still on the chart


def test_variety_is_said_in_artists_not_bits():
    assert variety_words(5.2) == "as varied as about 37 artists played equally often"
