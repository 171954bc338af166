"""The counting signals ``default`` ranks with, kept up to date play by play.

Every signal is a count over the history the model is shown — so it covers tracks first heard after
training the moment they are played — and each becomes one dense feature per item:

- sequence: first-order transitions from the last play (probability and raw count), second-order
  transitions from the last two plays, what followed the last track the previous three times it was
  played (next play, and within five plays), transitions two steps back, sequential rules inside the session (1/distance weights, 10 steps) from the last
  play and from the last five plays of the session, artist-to-artist transitions, same artist;
- repeat: time-decayed play counts with half-lives 6 h, 1 d, 1 w, 1 month, 1 year; play-decayed
  counts (half-life 10, 100, 1000 plays); total count; time and plays since the track's last play;
  plays of it in the current session; decayed artist counts (1 d, 1 month), plays of its artist in the
  current session;
- context: session kNN votes (V-SKNN over the listener's past sessions) for the current session;
  the share of the track's plays at this hour of the day (±1 h, UTC) and on this kind of day
  (weekday/weekend) — "now" is the time of the latest play, never the time of the next one;
- rhythm: hours since the track was first played; how the plays since its last play compare with
  its usual return interval (log ratio to the mean log gap between its plays, and its size);
- the simple baseline itself: ``markov_recency``'s score with its tuned α and half-life
  (``models.baselines.markov.components``), so the blend can start from it and fall back to it.

Probabilities and shares enter both raw and log-scaled, so a linear ranker can form a mixture (like
``markov_recency``) as well as a product of experts.
"""

from __future__ import annotations

import numpy as np

from models.base import ItemSpace
from models.baselines.common import SeqState
from models.baselines.counting import (
    ContextTransitions,
    DecayedCounts,
    Transitions,
    session_ids,
    window_pairs,
)
from models.baselines.markov import blend, components
from models.baselines.sknn import SessionIndex
from models.baselines.sknn import neighbours as knn_neighbours

HOUR, DAY = 3600, 86_400
TIME_HALF_LIVES = (6 * HOUR, DAY, 7 * DAY, 30 * DAY, 365 * DAY)
PLAY_HALF_LIVES = (10, 100, 1000)
ARTIST_HALF_LIVES = (DAY, 30 * DAY)
SR_WINDOW = 10
SESSION_CONTEXT = 5
OCCURRENCES = 3  # previous plays of the last track looked back at
FOLLOW_STEPS = 5
EPS = 1e-4

FEATURES: tuple[str, ...] = (
    "markov_p",
    "markov2_p",
    "sr_p",
    "session_sr_p",
    *(f"recent_{h // HOUR}h_share" for h in TIME_HALF_LIVES),
    "markov_logp",
    "markov_log1p",
    "markov2_logp",
    "followed_last_time",
    "followed_within_5",
    "skip_logp",
    "sr_logp",
    "session_sr_logp",
    "artist_markov_logp",
    "same_artist",
    *(f"recent_{h // HOUR}h_log1p" for h in TIME_HALF_LIVES),
    *(f"recent_{h}plays_log1p" for h in PLAY_HALF_LIVES),
    "count_log1p",
    "hours_since_log1p",
    "plays_since_log1p",
    "in_session",
    "artist_in_session",
    "session_knn_log",
    "hour_share",
    "daytype_share",
    "first_heard_log1p",
    "gap_log_ratio",
    "gap_log_ratio_abs",
    *(f"artist_recent_{h // HOUR}h_log1p" for h in ARTIST_HALF_LIVES),
    "markov_recency",
)
DEFAULT_BASELINE = (0.2, 30 * DAY)  # markov_recency's untuned (alpha, half-life)


class Signals:
    """All counters for one listener; ``init`` from a history, ``observe`` one play at a time."""

    def __init__(self, space: ItemSpace, gap_s: int, baseline: tuple[float, float] = DEFAULT_BASELINE):
        self.space = space
        self.gap_s = gap_s
        self.base_alpha, self.base_half_life = float(baseline[0]), float(baseline[1])
        self.n = len(space)
        self.artist_of = space.artist_of
        self.n_artists = max(space.n_artists, 1)

    # -- building ---------------------------------------------------------------------------
    def init(self, items: np.ndarray, times: np.ndarray) -> Signals:
        n, na = self.n, self.n_artists
        ok = items >= 0
        arts = np.where(ok, self.artist_of[np.maximum(items, 0)], -1)
        self.trans = Transitions(n).init(items[:-1], items[1:])
        self.trans2 = ContextTransitions(n).init(items[:-2], items[1:-1], items[2:])
        order = np.argsort(items, kind="stable")
        uniq, starts = np.unique(items[order], return_index=True)
        self.positions: dict[int, list[int]] = {
            int(u): part.tolist() for u, part in zip(uniq, np.split(order, starts[1:]), strict=True) if u >= 0
        }
        self.skip = Transitions(n).init(items[:-2], items[2:])
        a, b, w = window_pairs(items, session_ids(times, self.gap_s), SR_WINDOW)
        self.rules = Transitions(n).init(a, b, w)
        self.art_trans = Transitions(na).init(arts[:-1], arts[1:])
        self.recent = [DecayedCounts(n, h).init(items, times) for h in TIME_HALF_LIVES]
        self.recent_plays = [DecayedCounts(n, h, by="plays").init(items, times) for h in PLAY_HALF_LIVES]
        self.artist_recent = [DecayedCounts(na, h).init(arts, times) for h in ARTIST_HALF_LIVES]
        self.base_recent = DecayedCounts(n, self.base_half_life).init(items, times)
        self.count = np.bincount(items[ok], minlength=n).astype(np.float64)
        self.last_time = np.full(n, np.nan)
        self.last_pos = np.full(n, np.nan)
        pos = np.flatnonzero(ok)
        if pos.size:
            uniq, back = np.unique(items[pos][::-1], return_index=True)  # each item's last play
            last = pos[::-1][back]
            self.last_time[uniq] = times[last]
            self.last_pos[uniq] = last
        self.n_plays = int(items.size)
        hour, weekend = _clock(times)
        self.by_hour = np.zeros((n, 24))
        self.by_daytype = np.zeros((n, 2))
        np.add.at(self.by_hour, (items[ok], hour[ok]), 1.0)
        np.add.at(self.by_daytype, (items[ok], weekend[ok]), 1.0)
        self.first_time = np.full(n, np.nan)
        if pos.size:
            uniq_f, first = np.unique(items[pos], return_index=True)
            self.first_time[uniq_f] = times[pos[first]]
        self.gap_log_sum = np.zeros(n)
        self.gap_n = np.zeros(n)
        if pos.size:
            order_ = np.lexsort((pos, items[pos]))
            it_sorted, pos_sorted = items[pos][order_], pos[order_]
            same = it_sorted[1:] == it_sorted[:-1]
            gaps = np.log(np.diff(pos_sorted)[same].astype(np.float64))
            np.add.at(self.gap_log_sum, it_sorted[1:][same], gaps)
            np.add.at(self.gap_n, it_sorted[1:][same], 1.0)
        sess = session_ids(times, self.gap_s)
        done = sess < sess[-1] if sess.size else np.zeros(0, bool)
        self.knn_index = SessionIndex(n).init(items[done], sess[done])
        self.knn_prev_start = int(np.flatnonzero(~done)[0]) if (~done).any() else 0
        return self

    def observe(self, state: SeqState, item: int, played_at: int) -> None:
        """Count one play; ``state`` already holds it (its session start is up to date)."""
        items = state.items
        q = len(items) - 1
        if state.session_start == q and q > self.knn_prev_start:  # a session just ended
            self.knn_index.add(items[self.knn_prev_start : q])
            self.knn_prev_start = q
        art = int(self.artist_of[item]) if item >= 0 else -1
        if q >= 1:
            self.trans.add(items[q - 1], item)
            prev = items[q - 1]
            self.art_trans.add(int(self.artist_of[prev]) if prev >= 0 else -1, art)
        if q >= 2:
            self.skip.add(items[q - 2], item)
            self.trans2.add(items[q - 2], items[q - 1], item)
        if item >= 0:
            self.positions.setdefault(item, []).append(q)
        for d in range(1, SR_WINDOW + 1):
            if q - d < state.session_start:
                break
            self.rules.add(items[q - d], item, 1.0 / d)
        for c in self.recent:
            c.observe(item, played_at)
        for c in self.recent_plays:
            c.observe(item, played_at)
        self.base_recent.observe(item, played_at)
        for c in self.artist_recent:
            c.observe(art, played_at)
        if item >= 0:
            if self.count[item] > 0:
                self.gap_log_sum[item] += np.log(max(self.n_plays - self.last_pos[item], 1.0))
                self.gap_n[item] += 1
            else:
                self.first_time[item] = played_at
            hour, weekend = _clock(np.array([played_at]))
            self.by_hour[item, hour[0]] += 1
            self.by_daytype[item, weekend[0]] += 1
            self.count[item] += 1
            self.last_time[item] = played_at
            self.last_pos[item] = self.n_plays
        self.n_plays += 1

    def grow(self, space: ItemSpace) -> None:
        """Follow an item space that gained tracks (and maybe artists) after training."""
        n, na = len(space), max(space.n_artists, 1)
        if n > self.n:
            for t in (self.trans, self.skip, self.rules, self.trans2):
                t.grow(n)
            for c in (*self.recent, *self.recent_plays, self.base_recent):
                c.grow(n)
            self.knn_index.grow(n)
            pad = n - self.n
            self.count = np.concatenate([self.count, np.zeros(pad)])
            self.last_time = np.concatenate([self.last_time, np.full(pad, np.nan)])
            self.last_pos = np.concatenate([self.last_pos, np.full(pad, np.nan)])
            self.first_time = np.concatenate([self.first_time, np.full(pad, np.nan)])
            self.gap_log_sum = np.concatenate([self.gap_log_sum, np.zeros(pad)])
            self.gap_n = np.concatenate([self.gap_n, np.zeros(pad)])
            self.by_hour = np.vstack([self.by_hour, np.zeros((pad, 24))])
            self.by_daytype = np.vstack([self.by_daytype, np.zeros((pad, 2))])
        if na > self.n_artists:
            self.art_trans.grow(na)
            for c in self.artist_recent:
                c.grow(na)
        self.space, self.n, self.n_artists, self.artist_of = space, n, na, space.artist_of

    # -- features ---------------------------------------------------------------------------
    def _row(self, trans: Transitions, a: int, normalise: bool = True) -> np.ndarray:
        out = np.zeros(trans.n)
        trans.add_row_into(out, a, normalise=normalise)
        return out

    def features(self, state: SeqState) -> list[np.ndarray]:
        """One float64 [n_items] row per name in FEATURES, for the next play after ``state``
        (a list, not a matrix: stacking 16k-wide rows costs more than using them)."""
        items = state.items
        last = items[-1] if items else -1
        last2 = items[-2] if len(items) > 1 else -1
        now = state.times[-1] if state.times else 0
        art = self.artist_of
        last_art = int(art[last]) if last >= 0 else -1
        markov_count = self._row(self.trans, last, normalise=False)
        total = max(self.trans.row_total[last], 1e-12) if last >= 0 else 1.0
        markov = markov_count / total
        second = np.zeros(self.n)
        self.trans2.add_row_into(second, last2, last)
        rules = self._row(self.rules, last)
        ctx = np.zeros(self.n)
        session = items[max(state.session_start, len(items) - SESSION_CONTEXT) :]
        for pos, it in enumerate(session, 1):
            self.rules.add_row_into(ctx, it, scale=pos / len(session), normalise=True)
        ctx /= max(ctx.sum(), 1e-12)
        rows = [markov, second, rules, ctx]
        rows.extend(c.values / max(c.values.sum(), 1e-12) for c in self.recent)
        rows.append(np.log(markov + EPS))
        rows.append(np.log1p(markov_count))
        rows.append(np.log(second + EPS))
        rows.extend(self._followed(items, last))
        rows.append(np.log(self._row(self.skip, last2) + EPS))
        rows.append(np.log(rules + EPS))
        rows.append(np.log(ctx + EPS))
        rows.append(np.log(self._row(self.art_trans, last_art)[art] + EPS))
        rows.append((art == last_art).astype(np.float64) if last_art >= 0 else np.zeros(self.n))
        rows.extend(np.log1p(c.values) for c in self.recent)
        rows.extend(np.log1p(c.values) for c in self.recent_plays)
        rows.append(np.log1p(self.count))
        rows.append(np.nan_to_num(np.log1p(np.maximum(now - self.last_time, 0) / HOUR), nan=0.0))
        rows.append(np.nan_to_num(np.log1p(self.n_plays - 1 - self.last_pos), nan=0.0))
        in_session = np.zeros(self.n)
        sess = [i for i in items[state.session_start :] if i >= 0]
        if sess:
            np.add.at(in_session, np.asarray(sess, np.int64), 1.0)
        rows.append(in_session)
        art_session = np.zeros(self.n_artists)
        if sess:
            np.add.at(art_session, art[np.asarray(sess, np.int64)], 1.0)
        rows.append(art_session[art])
        rows.append(np.log(self._knn(state) + EPS))
        hour, weekend = _clock(np.array([now]))
        h = int(hour[0])
        near = self.by_hour[:, [(h - 1) % 24, h, (h + 1) % 24]].sum(axis=1)
        denom = self.count + 1.0
        rows.append(near / denom)
        rows.append(self.by_daytype[:, int(weekend[0])] / denom)
        rows.append(np.nan_to_num(np.log1p(np.maximum(now - self.first_time, 0) / HOUR), nan=0.0))
        since = np.nan_to_num(np.log(np.maximum(self.n_plays - self.last_pos, 1.0)), nan=0.0)
        usual = np.divide(self.gap_log_sum, self.gap_n, out=np.zeros(self.n), where=self.gap_n > 0)
        ratio = np.where(self.gap_n > 0, since - usual, 0.0)
        rows.append(ratio)
        rows.append(np.abs(ratio))
        rows.extend(np.log1p(c.values)[art] for c in self.artist_recent)
        rows.append(self.baseline(last))
        return rows

    def baseline(self, last: int) -> np.ndarray:
        """``markov_recency``'s scores after ``last`` (computed by its own functions)."""
        return blend(*components(self.trans, self.base_recent, last), self.base_alpha)

    def _knn(self, state: SeqState) -> np.ndarray:
        out = np.zeros(self.n)
        sids, sim = knn_neighbours(self.knn_index, state.session[-20:])
        if sids.size:
            members = [self.knn_index.sessions[s] for s in sids.tolist()]
            np.add.at(out, np.concatenate(members), np.repeat(sim / sim.sum(), [m.size for m in members]))
        return out

    def _followed(self, items: list[int], last: int) -> tuple[np.ndarray, np.ndarray]:
        """What came right after (and within ``FOLLOW_STEPS`` of) the last track's previous plays,
        the most recent weighted most."""
        nxt, within = np.zeros(self.n), np.zeros(self.n)
        occ = self.positions.get(last, []) if last >= 0 else []
        q = len(items) - 1
        for j, o in enumerate(reversed(occ[-OCCURRENCES - 1 : -1]), 1):
            w = 1.0 / j
            for d in range(1, FOLLOW_STEPS + 1):
                if o + d >= q:
                    break
                it = items[o + d]
                if it >= 0:
                    if d == 1:
                        nxt[it] += w
                    within[it] += w / d
        return nxt, within

    def heard(self) -> np.ndarray:
        return self.count > 0


def _clock(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(UTC hour 0..23, 1 on Saturday/Sunday else 0) per unix time."""
    t = np.asarray(times, np.int64)
    hour = (t // 3600) % 24
    weekday = (t // 86_400 + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    return hour.astype(np.int64), (weekday >= 5).astype(np.int64)
