"""What the Insights page shows, as plain data: per indicator a weekly series, the baseline, one
sentence, and an honest empty state when the data behind it is too thin (Qt-free, tested in core).

``load_view`` is the one off-thread call the page makes: it checks consent first and computes nothing
without it. ``cards`` turns ``weekly_indicators`` output into :class:`Card` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from core.insights.indicators import BASELINE_WEEKS, MIN_COVERAGE, MIN_PLAYS, SENTENCES
from core.insights.itemdata import MOOD_NAMES

RANGES = {"6m": 26, "1y": 52, "all": None}  # weeks shown
MIN_BASELINE_WEEKS = 4
TAGS_HINT = "Tags come from Last.fm (with an API key) or from a tag table you import."
AUDIO_HINT = (
    "Valence and energy come from audio features: your own music files or a feature table you import."
)
#: What the page offers next to an empty card (the CLI equivalents: ``segue features fetch --kind tags``,
#: ``segue features import FILE --kind tags|audio``).
TAGS_ACTIONS = ("fetch_tags", "import_tags")
AUDIO_ACTIONS = ("music_folder", "import_audio")


@dataclass
class Series:
    name: str
    points: list[tuple[date, float]]
    role: str = "main"  # main | extra | baseline


@dataclass
class Card:
    key: str
    title: str
    definition: str
    unit: str  # "share" (0-1, shown as %), "bits", "min"
    series: list[Series] = field(default_factory=list)
    sentence: str = ""
    empty: str = ""  # when set, the card shows this instead of a chart
    note: str = ""  # coverage and similar caveats
    extra: list[tuple[str, float, float | None]] = field(default_factory=list)  # (label, recent, usual)
    actions: tuple[str, ...] = ()  # what would fill an empty card (see TAGS_ACTIONS, AUDIO_ACTIONS)


def _d(week: dict) -> date:
    return date.fromisoformat(week["week"])


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value:.0%}"
    if unit == "min":
        return f"{value:.0f} min"
    if unit == "level":
        return f"{value:.2f}"
    return f"{value:.1f} bits"


def variety_words(bits: float | None, what: str = "artists") -> str:
    """Entropy in everyday words: 5.2 bits are as varied as about 37 artists played equally often."""
    if bits is None:
        return "–"
    return f"as varied as about {2**bits:,.0f} {what} played equally often"


def _get(week: dict, key: str):
    if key in MOOD_NAMES:
        return week["mood"].get(key)
    return week.get(key)


def _usable(week: dict, key: str) -> bool:
    if week["plays"] < MIN_PLAYS:
        return False
    if key in MOOD_NAMES:
        return (week["mood"].get("coverage") or 0) >= MIN_COVERAGE
    if key in ("valence", "energy"):
        return (week.get("audio_coverage") or 0) >= MIN_COVERAGE
    if key == "tag_diversity":
        return (week.get("tag_coverage") or 0) >= MIN_COVERAGE
    return True


def _points(weeks: list[dict], key: str) -> list[tuple[date, float]]:
    return [(_d(w), float(v)) for w in weeks if _usable(w, key) and (v := _get(w, key)) is not None]


def _baseline(weeks: list[dict], key: str) -> list[tuple[date, float]]:
    return [(_d(w), float(w["baseline"][key])) for w in weeks if key in w.get("baseline", {})]


def latest_week(weeks: list[dict]) -> dict | None:
    """The most recent full week with enough plays to compare (``MIN_PLAYS``); a partial week (the one
    in progress, or the history's last) waits until it is complete."""
    return next((w for w in reversed(weeks) if w["plays"] >= MIN_PLAYS and not w.get("partial")), None)


def partial_note(weeks: list[dict]) -> str:
    """Why the newest week is not described yet, when it is partial."""
    if not weeks or not weeks[-1].get("partial"):
        return ""
    w = weeks[-1]
    return (
        f"{week_label(w)} has only {w['days']} of its 7 days in your history ({w['plays']:,} plays): "
        "it is charted, and compared with your usual once the week is complete."
    )


def week_label(week: dict) -> str:
    d = _d(week)
    return f"Week of {d.day} {d:%b %Y}"


def sentence(week: dict | None, key: str, unit: str, what: str) -> str:
    """One plain sentence about ``key`` in ``week`` against the listener's usual."""
    if week is None:
        return f"No week yet with {MIN_PLAYS} or more plays to describe."
    now = _get(week, key)
    if not _usable(week, key) or now is None:
        return f"{week_label(week)}: too little data on {what} that week."
    usual = week.get("baseline", {}).get(key)
    if unit == "bits":
        words = variety_words(now)
        if usual is None:
            return f"{week_label(week)}: {words}. Your usual needs {MIN_BASELINE_WEEKS} earlier weeks."
        said = week.get("sentences", {}).get(key) or "within your usual range"
        return f"{week_label(week)}: {said} — {words} (usually about {2**usual:,.0f})."
    if usual is None:
        return (
            f"{week_label(week)}: {what} {_fmt(now, unit)}. Your usual needs {MIN_BASELINE_WEEKS} earlier "
            f"weeks with {MIN_PLAYS}+ plays."
        )
    said = week.get("sentences", {}).get(key)
    verdict = said if said else "within your usual range"
    return f"{week_label(week)}: {verdict} — {what} {_fmt(now, unit)} (usually about {_fmt(usual, unit)})."


def _coverage(weeks: list[dict], get) -> float | None:
    plays = sum(w["plays"] for w in weeks)
    if not plays:
        return None
    return sum((get(w) or 0) * w["plays"] for w in weeks) / plays


def cards(weeks: list[dict], range_key: str = "1y") -> list[Card]:
    """The six indicator cards for the last ``RANGES[range_key]`` weeks (sentences about the latest week)."""
    n = RANGES.get(range_key)
    shown = weeks
    if n and weeks:  # a calendar window: the last n weeks up to the latest week, gaps included
        end = _d(weeks[-1])
        first = end - timedelta(weeks=n - 1)
        shown = [w for w in weeks if _d(w) >= first]
    latest = latest_week(weeks)
    out: list[Card] = []

    rep = Card(
        "repetition",
        "Repetition",
        "Share of a week's plays that repeat a track already played that week; also within one session "
        "and across sessions of the last 30 days.",
        "share",
    )
    rep.series = [
        Series("same week", _points(shown, "repetition")),
        Series("within a session", _points(shown, "repetition_within_session"), "extra"),
        Series("across sessions", _points(shown, "repetition_across_sessions"), "extra"),
        Series("your usual", _baseline(shown, "repetition"), "baseline"),
    ]
    rep.sentence = sentence(latest, "repetition", "share", "repeated plays")
    out.append(rep)

    div = Card(
        "diversity",
        "Variety",
        "How evenly a week's plays spread over artists (and their tags, where tagged): entropy in bits, "
        "where n bits are as varied as 2ⁿ artists played equally often (5 bits ≈ 32).",
        "bits",
    )
    div.series = [
        Series("artists", _points(shown, "diversity")),
        Series("tags", _points(shown, "tag_diversity"), "extra"),
        Series("your usual", _baseline(shown, "diversity"), "baseline"),
    ]
    div.sentence = sentence(latest, "diversity", "bits", "artist variety")
    out.append(div)

    late = Card(
        "late_night_share",
        "Late-night listening",
        "Share of plays starting between midnight and 5 am (your time zone in Settings).",
        "share",
    )
    late.series = [
        Series("00:00–04:59", _points(shown, "late_night_share")),
        Series("your usual", _baseline(shown, "late_night_share"), "baseline"),
    ]
    late.sentence = sentence(latest, "late_night_share", "share", "late-night share")
    out.append(late)

    sess = Card(
        "session_minutes",
        "Session length",
        "Median length of the sessions that started that week (sessions split by your gap setting).",
        "min",
    )
    sess.series = [
        Series("median session", _points(shown, "session_minutes")),
        Series("your usual", _baseline(shown, "session_minutes"), "baseline"),
    ]
    sess.sentence = sentence(latest, "session_minutes", "min", "median session")
    out.append(sess)

    mood = Card(
        "mood",
        "Mood profile from tags",
        "Share of tagged plays whose tags express each mood (a documented lexicon: sad covers sad, "
        "melancholic, heartbreak, lonely …).",
        "share",
    )
    mood_cov = _coverage(shown, lambda w: w["mood"].get("coverage"))
    if mood_cov is None or mood_cov < MIN_COVERAGE:
        mood.empty = (
            f"Only {mood_cov or 0:.0%} of your plays in this period have mood-bearing tags — too few to "
            f"describe a mood profile honestly. {TAGS_HINT}"
        )
        mood.actions = TAGS_ACTIONS
    else:
        mood.series = [
            Series("sad / melancholic", _points(shown, "sad")),
            Series("calm", _points(shown, "calm"), "extra"),
            Series("happy", _points(shown, "happy"), "extra"),
            Series("your usual (sad)", _baseline(shown, "sad"), "baseline"),
        ]
        mood.sentence = sentence(latest, "sad", "share", "sad-tagged share")
        mood.note = f"Based on the {mood_cov:.0%} of plays with mood-bearing tags."
        mood.extra = _mood_profile(weeks)
    out.append(mood)

    audio = Card(
        "audio",
        "Valence and energy",
        "Mean valence (musical positiveness) and energy, 0–1, over plays with audio features.",
        "level",
    )
    audio_cov = _coverage(shown, lambda w: w.get("audio_coverage"))
    if audio_cov is None or audio_cov < MIN_COVERAGE:
        audio.empty = (
            f"Only {audio_cov or 0:.0%} of your plays in this period have audio features — too few "
            f"to chart. {AUDIO_HINT}"
        )
        audio.actions = AUDIO_ACTIONS
    else:
        audio.series = [
            Series("valence", _points(shown, "valence")),
            Series("energy", _points(shown, "energy"), "extra"),
            Series("your usual (valence)", _baseline(shown, "valence"), "baseline"),
        ]
        audio.sentence = sentence(latest, "valence", "level", "mean valence")
        audio.note = f"Based on the {audio_cov:.0%} of plays with audio features (track level, else artist)."
    out.append(audio)
    return out


def _mood_profile(weeks: list[dict]) -> list[tuple[str, float, float | None]]:
    """(mood, share over the last 4 usable weeks, share over the 12 before) for every mood, largest first."""
    usable = [
        w for w in weeks if w["plays"] >= MIN_PLAYS and (w["mood"].get("coverage") or 0) >= MIN_COVERAGE
    ]
    recent, before = usable[-4:], usable[-4 - BASELINE_WEEKS : -4]

    def share(ws: list[dict], m: str) -> float | None:
        vals = [(w["mood"].get(m) or 0.0, w["plays"] * w["mood"]["coverage"]) for w in ws]
        total = sum(wt for _v, wt in vals)
        return sum(v * wt for v, wt in vals) / total if total else None

    rows = [(m, share(recent, m), share(before, m)) for m in MOOD_NAMES]
    rows = [(m, r, b) for m, r, b in rows if r is not None]
    return sorted(rows, key=lambda x: -x[1])


def headline(weeks: list[dict]) -> str:
    """The latest week in one line: what differs from the usual, or that it was about usual."""
    w = latest_week(weeks)
    note = partial_note(weeks)
    note = f" {note}" if note else ""
    if w is None:
        return (
            f"No full week with {MIN_PLAYS} or more plays yet — insights start once there is a little more "
            f"listening.{note}"
        )
    said = [s for k, s in w.get("sentences", {}).items() if k in SENTENCES]
    if not w.get("baseline"):
        return (
            f"{week_label(w)} ({w['plays']:,} plays). Your usual builds up over the first "
            f"{MIN_BASELINE_WEEKS} busy weeks.{note}"
        )
    if not said:
        return f"{week_label(w)} ({w['plays']:,} plays): within your usual range on every indicator.{note}"
    return f"{week_label(w)} ({w['plays']:,} plays): " + "; ".join(said) + "." + note


def load_view(store, account_id: int, tz_name: str | None = None, gap_s: int = 7200) -> dict:
    """Everything the page needs, off the GUI thread. Without consent only ``{"consent": False}``."""
    from core.insights import consent, questionnaires
    from core.insights.indicators import weekly_indicators

    if not consent.has_consent(store, account_id):
        return {"consent": False}
    weeks = weekly_indicators(store.engine, account_id, tz_name=tz_name, gap_s=gap_s)
    return {"consent": True, "weeks": weeks, "answers": questionnaires.history(store, account_id)}
