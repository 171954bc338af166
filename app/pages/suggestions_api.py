"""What the Suggestions page needs from core and models, computed off the GUI thread.

``load(...)`` returns the session in progress (or the last one), the user's likes/dismissals, and —
when ``models`` offers ``recommend_for`` — ranked suggestions split into familiar and new-to-you.
Feedback is *used*: dismissed tracks are excluded, liked ones boosted. Where ``recommend_for`` takes
``exclude``/``boost``/``explore`` they are passed through; where it does not, this module filters and
re-ranks itself (``LIKE_BOOST``), so the behaviour is the same either way.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from urllib.parse import quote_plus

LIKE_BOOST = 0.25  # relative score lift for liked tracks when the model cannot boost them itself
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
    available: bool = False  # recommend_for exists
    message: str = ""  # why there are no suggestions (no model trained, too few plays, ...)
    needs_training: bool = False  # the default model is not trained yet: the page offers to train it
    liked: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)
    counts: dict[int, int] = field(default_factory=dict)  # how often the user played each candidate
    valence: dict[int, float] = field(default_factory=dict)  # where known (for the "lift" control)
    energy: dict[int, float] = field(default_factory=dict)

    separate: bool = False  # familiar and new came from separate calls: their scores do not compare

    @property
    def candidates(self) -> list[Suggestion]:
        """Every suggestion in the recommender's order (feedback applied); with separate calls, every
        familiar one before the new ones, as the model itself ranks them."""
        if self.separate:
            return self.familiar + self.new
        return sorted(self.familiar + self.new, key=lambda s: -s.score)


def recommender():
    """``models``' recommend_for, or None while it is not available."""
    for module in ("models.recommend", "models.service", "models.training", "models"):
        try:
            fn = getattr(importlib.import_module(module), "recommend_for", None)
        except Exception:  # noqa: BLE001 - a half-installed models package means "not available"
            fn = None
        if fn is not None:
            return fn
    return None


def _call(
    fn,
    store,
    account,
    k: int,
    explore: float,
    liked: set[int],
    dismissed: set[int],
    cancel,
    gap_s: int | None = None,
):
    """Call ``recommend_for`` with whatever of exclude / boost / cancel it takes; when it has an
    ``explore`` flag (familiar and discovery asked separately), ask for both and mark the discoveries."""
    import dataclasses

    params = inspect.signature(fn).parameters
    kwargs: dict = {}
    handled = set()
    # never train inside the window's process: the page offers "Train now" (a child process) instead
    for name, value in (
        ("k", k),
        ("exclude", sorted(dismissed)),
        ("boost", sorted(liked)),
        ("liked", sorted(liked)),
        ("cancel", cancel),
        ("gap_s", gap_s),
        ("train_if_missing", False),
    ):
        if value is None:
            continue
        if name in params:
            kwargs[name] = value
            handled.add(name)
    first = next(iter(params))
    target = store.engine if first in ("engine", "bind") else store
    acc = account.name if any(n in params for n in ("account", "account_name", "name")) else account.id

    def run(**extra):
        out = fn(target, acc, **kwargs, **extra)
        if inspect.isgenerator(out):
            try:
                while True:
                    next(out)
            except StopIteration as stop:
                out = stop.value
        return list(out or [])

    if "explore" not in params:
        return run(), handled
    familiar = run(explore=False)
    found = [
        r if getattr(r, "new_to_user", False) else dataclasses.replace(r, new_to_user=True)
        for r in run(explore=True)
    ]
    seen = {int(r.track_id) for r in familiar}
    return familiar + [r for r in found if int(r.track_id) not in seen], handled


def trained(account, model: str = "default") -> bool:
    """Whether ``model`` has been trained for ``account`` (True when models cannot tell: then ask it)."""
    try:
        from models.training import model_dir
    except Exception:  # noqa: BLE001
        return True
    return (model_dir(account.name, model) / "config.json").exists()


def load(store, account, gap_s: int, explore: float, cancel=None) -> SuggestionsState:
    from core.store.paging import feedback, last_session
    from core.store.queries import track_info

    engine = store.engine
    state = SuggestionsState()
    state.plays, state.in_progress = last_session(engine, account.id, gap_s)
    fb = feedback(engine, account.id)
    state.liked, state.dismissed = fb.get("like", set()), fb.get("dismiss", set())
    fn = recommender()
    if fn is None:
        state.message = (
            "Suggestions need the recommender engine, which is not available in this build yet. "
            "Sessions, stats and imports all work meanwhile."
        )
        return state
    state.available = True
    state.separate = "explore" in inspect.signature(fn).parameters
    if not trained(account):
        state.needs_training = True
        state.message = (
            "Suggestions come from the <b>default</b> model, trained on this computer from your own "
            "plays. It has not been trained for this account yet — it takes about a minute even "
            "for a long history, in the background."
        )
        return state
    try:
        recs, handled = _call(fn, store, account, K * 2, explore, state.liked, state.dismissed, cancel, gap_s)
    except Exception as exc:  # noqa: BLE001 - shown as a sentence on the page, with the model's own words
        from models.base import ModelError

        if isinstance(exc, ModelError):
            state.message = str(exc)
            return state
        raise
    if "exclude" not in handled:
        recs = [r for r in recs if int(r.track_id) not in state.dismissed]
    scored = []
    for r in recs:
        s = float(r.score)
        if "boost" not in handled and "liked" not in handled and int(r.track_id) in state.liked:
            s = s + abs(s) * LIKE_BOOST
        scored.append((s, r))
    scored.sort(key=lambda x: -x[0])
    info = track_info(engine, [int(r.track_id) for _s, r in scored])
    for s, r in scored:
        t = info.get(int(r.track_id))
        if t is None:
            continue
        item = Suggestion(
            int(r.track_id),
            t.name,
            t.artist,
            t.album,
            s,
            r.reason,
            bool(getattr(r, "new_to_user", False)),
            int(r.track_id) in state.liked,
        )
        (state.new if item.new_to_user else state.familiar).append(item)
    if not state.familiar and not state.new:
        state.message = "The model has no suggestions for this history yet."
        return state
    _steering_inputs(engine, account, state)
    return state


def _steering_inputs(engine, account, state: SuggestionsState) -> None:
    """Play counts (familiarity) and valence/energy of the candidates, for the user's controls."""
    try:
        from models import steering
    except Exception:  # noqa: BLE001 - without models.steering the page splits slots itself (``mix``)
        return
    ids = [s.track_id for s in state.familiar + state.new]
    state.counts = steering.play_counts(engine, account.id, ids)
    try:
        import numpy as np

        val, en = steering.load_valence_energy(engine, ids)
        state.valence = {t: float(v) for t, v in zip(ids, val, strict=True) if not np.isnan(v)}
        state.energy = {t: float(e) for t, e in zip(ids, en, strict=True) if not np.isnan(e)}
    except Exception:  # noqa: BLE001 - no audio features: lift has nothing to work with, which is fine
        state.valence, state.energy = {}, {}


def arrange(
    state: SuggestionsState, slider: float, lift: float = 0.0, n: int = 12
) -> tuple[list[Suggestion], list[Suggestion]]:
    """The ``n`` suggestions to show, split into familiar and new-to-you, after the user's controls.

    ``slider`` is the familiar ↔ explore control, 0…1 with 0.5 meaning "as the model ranks them"
    (``models.steering``: a re-ranking only when the user moves it); ``lift`` 0…1 favours higher
    valence/energy where known. Without ``models.steering`` the slider shares the slots instead (``mix``).
    """
    try:
        from models.steering import Steering, steer_recommendations
    except Exception:  # noqa: BLE001
        return mix(state, slider, n)
    steering = Steering.from_slider(slider, lift)
    ordered = steer_recommendations(state.candidates, state.counts, state.valence, state.energy, steering)
    shown = ordered[:n]
    return [s for s in shown if not s.new_to_user], [s for s in shown if s.new_to_user]


def mix(state: SuggestionsState, explore: float, n: int = 12) -> tuple[list[Suggestion], list[Suggestion]]:
    """Split ``n`` slots between familiar and new by the familiar ↔ explore control (0 = familiar only)."""
    n_new = round(n * explore) if state.new else 0
    n_new = min(n_new, len(state.new))
    n_fam = min(n - n_new, len(state.familiar))
    if n_fam < n - n_new:  # not enough familiar ones: give the room to new ones, and back
        n_new = min(len(state.new), n - n_fam)
    return state.familiar[:n_fam], state.new[:n_new]
