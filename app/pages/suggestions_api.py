"""What the Suggestions page needs from core and models, computed off the GUI thread.

``load(...)`` returns the session in progress (or the last one) and the account's suggestion pool
from ``models.api.suggestions`` (both streams, the user's likes/dismissals from the store);
``arrange`` serves it — "Up next" and "New to you" — under the user's controls and rules, quickly
enough to run on the GUI thread whenever a control moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote_plus

from models import api
from models.api import ModelError, ModelOutdated, Rules, Steering


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
    pool: api.Pool | None = None  # both streams and what the served list's rules read
    items: dict[int, Suggestion] = field(default_factory=dict)  # every candidate, by track id
    message: str = ""  # why there are no suggestions (no model trained, too few plays, ...)
    needs_training: bool = False  # the default model is not trained yet
    liked: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)

    @property
    def familiar(self) -> list[Suggestion]:
        return self._of(self.pool.familiar) if self.pool else []

    @property
    def new(self) -> list[Suggestion]:
        return self._of(self.pool.discoveries) if self.pool else []

    def _of(self, recs) -> list[Suggestion]:
        return [self.items[r.track_id] for r in recs if r.track_id in self.items]

    def feedback(self, track_id: int, kind: str | None) -> None:
        """Apply a like / dismiss / clear the store has saved, so the next ``arrange`` shows it."""
        for group in (self.liked, self.dismissed):
            group.discard(track_id)
        if kind == "like":
            self.liked.add(track_id)
        elif kind == "dismiss":
            self.dismissed.add(track_id)
        if track_id in self.items:
            self.items[track_id].liked = kind == "like"
        if self.pool is not None:
            self.pool.liked, self.pool.dismissed = set(self.liked), set(self.dismissed)


def load(store, account, gap_s: int, cancel=None) -> SuggestionsState:
    """Everything the page shows for ``account`` (the controls only change how ``arrange`` serves it)."""
    from core.store.paging import last_session
    from core.store.queries import track_info

    engine = store.engine
    state = SuggestionsState()
    state.plays, state.in_progress = last_session(engine, account.id, gap_s)
    if not api.is_trained(account.name):
        state.needs_training = True
        return state
    try:
        # never train inside the window's process: training runs as a background job
        pool = api.suggestions(store, account.name, gap_s=gap_s, train_if_missing=False, cancel=cancel)
    except ModelOutdated:  # written by another version: the page trains it again
        state.needs_training = True
        state.message = "The model on disk was made by another version of Segue and must be trained again."
        return state
    except ModelError as exc:  # shown as a sentence on the page, in the model's own words
        state.message = str(exc)
        return state
    state.pool, state.liked, state.dismissed = pool, set(pool.liked), set(pool.dismissed)
    recs = pool.familiar + pool.discoveries
    info = track_info(engine, [r.track_id for r in recs])
    for r in recs:
        t = info.get(r.track_id)
        if t is not None:
            state.items[r.track_id] = Suggestion(
                r.track_id,
                t.name,
                t.artist,
                t.album,
                r.score,
                r.reason,
                r.new_to_user,
                r.track_id in state.liked,
            )
    if not state.items:
        state.message = "The model has no suggestions for this history yet."
    return state


def arrange(
    state: SuggestionsState, slider: float, lift: float = 0.0, rules: Rules | None = None
) -> tuple[list[Suggestion], list[Suggestion]]:
    """("Up next", "New to you") after the user's controls and rules (``models.serving.served``).

    ``slider`` is the familiar ↔ explore control, 0…1 with 0.5 meaning "as the model ranks them";
    ``lift`` 0…1 favours higher valence/energy where known.
    """
    if state.pool is None:
        return [], []
    served = state.pool.serve(Steering.from_slider(slider, lift), rules or Rules())
    return state._of(served.main), state._of(served.new_to_you)
