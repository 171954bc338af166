"""Suggestions as the app and the CLI show them: both ranked streams of an account, ready to serve.

``suggest`` gathers — off the GUI thread — everything the served list (``models.serving.served``)
needs: the continuation stream (the model's best ``POOL`` known tracks with reasons and evidence),
the discovery stream (``explore.discovery_stream``: the discovery ranker's new-to-you candidates
from the catalogue, or the fallback without one, with reasons), the listener's feedback from the store
(dismissed tracks never come back, in the CLI as in the GUI; liked ones rise), the tracks of the
current session, how often this listener replays a track within a session, the model's
calibration, play counts, artists and valence/energy. ``Pool.serve(steering, rules)`` is then a
pure function of that pool, quick enough to run on every move of a control.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from core.jobs import CancelToken
from core.sessions import DEFAULT_GAP_S
from core.store.engine import Store
from models.artefacts import DEFAULT_MODEL, model_dir, read_meta
from models.base import Recommendation
from models.serving import explore, fallback, reasons
from models.serving.served import Calibration, Rules, Served, serve, session_replay_rate
from models.steering import Steering, load_valence_energy, play_counts

POOL = 60  # continuation candidates the served list chooses from
POOL_NEW = 200  # discovery candidates (enough artists to fill a list under the per-artist cap)


@dataclass
class Pool:
    """Both streams and what the served list's rules read; ``serve`` makes the lists."""

    familiar: list[Recommendation] = field(default_factory=list)
    discoveries: list[Recommendation] = field(default_factory=list)
    artist_of: dict[int, int] = field(default_factory=dict)
    plays: dict[int, int] = field(default_factory=dict)
    session: list[int] = field(default_factory=list)  # store track ids of the current session
    replay_rate: float = 0.0
    calibration: Calibration = field(default_factory=Calibration)
    liked: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)
    valence: dict[int, float] = field(default_factory=dict)
    energy: dict[int, float] = field(default_factory=dict)
    trained: dict = field(default_factory=dict)  # the model's meta.json: plays, trained_at (empty: none)
    discovery_source: str = ""  # who ranked ``discoveries``: explore.CATALOGUE or the fallback's SOURCE
    discovery_needs_training: bool = False  # a catalogue is there but its discovery ranker is not trained

    def serve(self, steering: Steering = Steering(), rules: Rules = Rules(), new_to_you: int = 10) -> Served:
        return serve(
            self.familiar,
            self.discoveries,
            artist_of=self.artist_of,
            plays=self.plays,
            session=self.session,
            replay_rate=self.replay_rate,
            calibration=self.calibration,
            rules=rules,
            steering=steering,
            liked=sorted(self.liked),
            dismissed=sorted(self.dismissed),
            valence=self.valence,
            energy=self.energy,
            new_to_you=new_to_you,
        )


def suggest(
    store: Store,
    account: str,
    *,
    model: str = DEFAULT_MODEL,
    gap_s: int = DEFAULT_GAP_S,
    train_if_missing: bool = True,
    cancel: CancelToken | None = None,
) -> Pool:
    """The account's pool (see the module docstring); accounts with fewer than two plays get what is
    popular on this computer as their only stream (or a ``ModelError`` saying why there is none)."""
    from core.store.paging import feedback
    from core.store.queries import track_artists
    from models.serving.recommend import _brief
    from models.serving.warm import LOCK, warm_state
    from models.training import MIN_PLAYS

    brief = _brief(store, account)
    fb = feedback(store.engine, brief.id)
    pool = Pool(liked=set(fb.get("like", set())), dismissed=set(fb.get("dismiss", set())))
    if brief.plays < MIN_PLAYS:
        pool.discoveries = fallback.popular(
            store, brief.id, account, brief.plays, POOL, sorted(pool.dismissed)
        )
    else:
        with LOCK:
            warm = warm_state(store, brief.id, account, model, gap_s, train_if_missing, cancel)
            m, state = warm.model, warm.state
            excl = set(m.space.indices(sorted(pool.dismissed)).tolist()) - {-1}
            if warm.playing >= 0:
                excl.add(warm.playing)
            familiar = [r for r in m.recommend(state, POOL, sorted(excl)) if not r.new_to_user]
            dismissed = sorted(pool.dismissed)
            stream = explore.discovery_stream(
                store,
                brief.id,
                account,
                POOL_NEW,
                dismissed,
                lambda: explore.other_accounts(store, brief.id, m, state, POOL_NEW, dismissed),
                train_if_missing=train_if_missing,
                cancel=cancel,
            )
            pool.session = _session_tracks(m, state, gap_s)
            pool.replay_rate = _replay_rate(m, state, gap_s)
            counted = warm.play_counts
        pool.discoveries, pool.discovery_source = stream.recs, stream.source
        pool.discovery_needs_training = stream.needs_training
        pool.calibration = Calibration.of(m, stream.ranker)
        pool.familiar = reasons.render(store, m.space, m.name, familiar)
        pool.trained = read_meta(model_dir(account, model))
    ids = [r.track_id for r in pool.familiar + pool.discoveries]
    pool.artist_of = track_artists(store.engine, ids)
    pool.familiar = [r for r in pool.familiar if r.track_id in pool.artist_of]
    pool.discoveries = [
        r if r.new_to_user else replace(r, new_to_user=True)
        for r in pool.discoveries
        if r.track_id in pool.artist_of
    ]
    if brief.plays < MIN_PLAYS:
        pool.plays = play_counts(store.engine, brief.id, ids)
    else:  # the warm state's counts (kept current with every play it observes)
        pool.plays = {t: counted[t] for t in ids if t in counted}
    val, en = load_valence_energy(store.engine, ids, pool.artist_of)
    pool.valence = {t: float(v) for t, v in zip(ids, val, strict=True) if not np.isnan(v)}
    pool.energy = {t: float(e) for t, e in zip(ids, en, strict=True) if not np.isnan(e)}
    return pool


def rules_of(settings) -> Rules:
    """The served list's rules from the user's settings (``core.settings``)."""
    return Rules(
        max_per_artist=int(settings.suggest_max_per_artist),
        session_replays=str(settings.suggest_session_replays),
    )


def _session_tracks(model, state, gap_s: int) -> list[int]:
    """Store track ids of the current session in the model's state (the same gap rule), found by
    walking back from the latest play (the whole history need not become an array per call)."""
    items = state["items"] if isinstance(state, dict) else state.items
    times = state["times"] if isinstance(state, dict) else state.times
    start = len(times) - 1
    while start > 0 and times[start] - times[start - 1] <= gap_s:
        start -= 1
    tail = [int(i) for i in items[max(start, 0) :] if int(i) >= 0]
    return [int(model.space.track_ids[i]) for i in tail]


def _replay_rate(model, state, gap_s: int) -> float:
    """How often this listener replays a track within a session: saved by the model when it was
    trained, else counted over the state's plays."""
    saved = model.params.get("session_replay_rate")
    if saved is not None:
        return float(saved)
    items, times = _plays(state)
    return session_replay_rate(items, times, gap_s)


def _plays(state) -> tuple[np.ndarray, np.ndarray]:
    items = state["items"] if isinstance(state, dict) else state.items
    times = state["times"] if isinstance(state, dict) else state.times
    return np.asarray(items, np.int64), np.asarray(times, np.int64)
