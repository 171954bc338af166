"""What the Suggestions page needs from core and models, computed off the GUI thread.

``load(...)`` returns the session in progress (or the last one), the user's likes/dismissals, and
ranked suggestions from ``models.api``: familiar ones (``recommend``: dismissed tracks excluded,
liked ones lifted) and new-to-you ones (``explore``), asked for separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote_plus

import numpy as np

from models import api, steering
from models.base import ModelError

K = 30


def lastfm_url(artist: str, track: str) -> str:
    """The track's Last.fm page (the link Segue offers to copy or open)."""
    return f"https://www.last.fm/music/{quote_plus(artist)}/_/{quote_plus(track)}"


@dataclass
class Suggestion:
    track_id: int
    track: str
    artist: str
    album: str | None
    score: float
    reason: str
    new_to_user: bool
    liked: bool = False

    @property
    def url(self) -> str:
        return lastfm_url(self.artist, self.track)


@dataclass
class SuggestionsState:
    plays: list = field(default_factory=list)  # SessionPlay, oldest first
    in_progress: bool = False
    familiar: list[Suggestion] = field(default_factory=list)
    new: list[Suggestion] = field(default_factory=list)
    message: str = ""  # why there are no suggestions (no model trained, too few plays, ...)
    needs_training: bool = False  # the default model is not trained yet: the page offers to train it
    liked: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)
    counts: dict[int, int] = field(default_factory=dict)  # how often the user played each candidate
    valence: dict[int, float] = field(default_factory=dict)  # where known (for the "lift" control)
    energy: dict[int, float] = field(default_factory=dict)

    @property
    def candidates(self) -> list[Suggestion]:
        """Every suggestion in the recommender's order (feedback applied): familiar and new come from
        separate calls whose scores do not compare, so every familiar one comes first."""
        return self.familiar + self.new


def load(store, account, gap_s: int, explore: float, cancel=None) -> SuggestionsState:
    """Everything the page shows for ``account``; ``explore`` (the familiar ↔ explore control) does not
    change what is asked for, only how ``arrange`` shows it."""
    from core.store.paging import feedback, last_session
    from core.store.queries import track_info

    engine = store.engine
    state = SuggestionsState()
    state.plays, state.in_progress = last_session(engine, account.id, gap_s)
    fb = feedback(engine, account.id)
    state.liked, state.dismissed = fb.get("like", set()), fb.get("dismiss", set())
    if not api.is_trained(account.name):
        state.needs_training = True
        state.message = (
            "Suggestions come from the <b>default</b> model, trained on this computer from your own "
            "plays. It has not been trained for this account yet — it takes about a minute even "
            "for a long history, in the background."
        )
        return state
    # never train inside the window's process: the page offers "Train now" (a child process) instead
    ask = {"exclude": sorted(state.dismissed), "gap_s": gap_s, "train_if_missing": False, "cancel": cancel}
    try:
        familiar = api.recommend(store, account.name, K * 2, boost=sorted(state.liked), **ask)
        found = api.explore(store, account.name, K * 2, **ask)
    except ModelError as exc:  # shown as a sentence on the page, in the model's own words
        state.message = str(exc)
        return state
    seen = {r.track_id for r in familiar}
    recs = familiar + [r for r in found if r.track_id not in seen]
    info = track_info(engine, [r.track_id for r in recs])
    for r in recs:
        t = info.get(r.track_id)
        if t is None:
            continue
        item = Suggestion(
            r.track_id,
            t.name,
            t.artist,
            t.album,
            r.score,
            r.reason,
            r.new_to_user,
            r.track_id in state.liked,
        )
        (state.new if item.new_to_user else state.familiar).append(item)
    if not state.familiar and not state.new:
        state.message = "The model has no suggestions for this history yet."
        return state
    _steering_inputs(engine, account, state)
    return state


def _steering_inputs(engine, account, state: SuggestionsState) -> None:
    """Play counts (familiarity) and valence/energy of the candidates, for the user's controls."""
    ids = [s.track_id for s in state.familiar + state.new]
    state.counts = steering.play_counts(engine, account.id, ids)
    val, en = steering.load_valence_energy(engine, ids)
    state.valence = {t: float(v) for t, v in zip(ids, val, strict=True) if not np.isnan(v)}
    state.energy = {t: float(e) for t, e in zip(ids, en, strict=True) if not np.isnan(e)}


def arrange(
    state: SuggestionsState, slider: float, lift: float = 0.0, n: int = 12
) -> tuple[list[Suggestion], list[Suggestion]]:
    """The ``n`` suggestions to show, split into familiar and new-to-you, after the user's controls.

    ``slider`` is the familiar ↔ explore control, 0…1 with 0.5 meaning "as the model ranks them"
    (``models.steering``: a re-ranking only when the user moves it); ``lift`` 0…1 favours higher
    valence/energy where known.
    """
    ordered = steering.steer_recommendations(
        state.candidates,
        state.counts,
        state.valence,
        state.energy,
        steering.Steering.from_slider(slider, lift),
    )
    shown = ordered[:n]
    return [s for s in shown if not s.new_to_user], [s for s in shown if s.new_to_user]
