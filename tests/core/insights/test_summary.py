"""What the Insights page says: one sentence per indicator against the usual, and empty states where the
tags or audio features behind an indicator cover too few plays."""

from __future__ import annotations

from core.insights.summary import cards, headline, sentence


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
        and "segue features import" in by_key["audio"].empty
    )
    thin = [dict(w, mood={**w["mood"], "coverage": 0.1}) for w in weeks]
    assert "too few" in {c.key: c for c in cards(thin, "all")}["mood"].empty
    quiet = [dict(w, plays=5) for w in weeks]  # weeks below 20 plays are not charted
    assert {c.key: c for c in cards(quiet, "all")}["repetition"].series[0].points == []
