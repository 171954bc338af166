"""What the served list costs, and what the familiar ↔ explore slider does to it, on the real histories.

Protocol (docs/architecture.md §8/§8b, through ``models.evaluation``): per listener with ≥ 5,000 collapsed plays,
``default`` is fitted on the training span; the harness's ``walk`` hands out the state before each
test target (previous play excluded, as the harness does). For every target:

- **raw**: ``default``'s full ranking (its NDCG@10 equals the harness's; checked);
- **served** (``models.serving.served.serve``, the code the app and CLI show): the continuation stream is
  ``default``'s best ``POOL`` known tracks; the discovery stream (``--stream``) is
  ``ranker`` (default): the product's one — the discovery ranker's best ``POOL_NEW`` unheard tracks
  over the listener's leak-free catalogue (``benchmarks/served_discovery.py``: a store without the
  test span, its catalogue from other listeners, the open tables and HetRec; merged by the ranker's
  own validation calibration), or ``affinity``: the earlier stand-in (``explore_scores``: artist
  affinity, then popularity among the other listeners) over the tracks the *other* real listeners
  played. Nothing in either comes from this listener's test span (a track of the listener's future
  is a candidate only if another source holds it). Rules at their defaults: ≤ 3 per artist in the top 10; tracks of the
  current session only as often as the listener's own training history replays within a session.
  Streams are merged by the validation calibration ``default`` saved (``served.Calibration``).
- the served list at slider positions 0, .25, .5 (neutral), .75 and 1.

Per setting: NDCG@10 / HR@10 of the next play in the list (its top 10 only), distinct artists in the
top 10, new-to-you share of the top 10, plays of the current session in the top 10, and
``changed@10`` — tracks of the top 10 not in the previous slider step's top 10.

    python -m benchmarks.bench_served [--accounts a,b] [--every N] [--stream ranker|affinity]

Writes bench-results/bench_served.json and prints the tables docs/models.md copies.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.common import fit_on_training_span, save
from models.steering import Steering

POOL = 60
POOL_NEW = 200  # discovery candidates: enough artists for the cap to leave a full list at the explore end
K = 10
SLIDER = (0.0, 0.25, 0.5, 0.75, 1.0)
COLUMNS = ("ndcg@10", "hr@10", "artists@10", "new_share@10", "session@10", "changed@10")


def other_listeners_tracks(store, account_id: int):
    """(track ids, artist ids, plays by the other accounts) of every track another account played."""
    from sqlalchemy import func, select

    from core.store.schema import Scrobble, Track

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(Scrobble.track_id, Track.artist_id, func.count())
            .join(Track, Track.id == Scrobble.track_id)
            .where(Scrobble.account_id != account_id)
            .group_by(Scrobble.track_id, Track.artist_id)
            .order_by(Scrobble.track_id)
        ).all()
    a = np.array(rows, dtype=np.int64).reshape(-1, 3)
    return a[:, 0], a[:, 1], a[:, 2]


def _gain(pos: int | None) -> float:
    return 0.0 if pos is None else 1.0 / np.log2(pos + 2.0)


def run_account(store, account: str, every: int = 1, stream: str = "ranker") -> dict:
    from models.base import Recommendation, top_k
    from models.evaluation.harness import walk
    from models.evaluation.metrics import ndcg, rank_of
    from models.serving.served import Calibration, Rules, serve, session_replay_rate

    info, seq, split, model, fit_s = fit_on_training_span(store, account)
    space = model.space
    art_ids = space.artist_ids[space.artist_of]
    w_tracks, w_artists, w_plays = other_listeners_tracks(store, info.id)
    w_own = space.indices(w_tracks)
    art_index = {int(a): i for i, a in enumerate(space.artist_ids.tolist())}
    w_art = np.array([art_index.get(int(a), -1) for a in w_artists.tolist()], np.int64)
    w_pop = np.log1p(w_plays) / 10.0
    artist_of = {int(t): int(a) for t, a in zip(w_tracks.tolist(), w_artists.tolist(), strict=True)}
    artist_of.update(
        {int(t): int(a) for t, a in zip(space.track_ids.tolist(), art_ids.tolist(), strict=True)}
    )
    items, times = seq.items, seq.played_at
    replay = session_replay_rate(items[: split.start], times[: split.start], seq.gap_s)
    ranker = None
    if stream == "ranker":
        from benchmarks.served_discovery import RankerStream

        t0 = time.perf_counter()
        ranker = RankerStream(store, account)
        ranker_fit_s = time.perf_counter() - t0
        artist_of.update(ranker.artist_of_id)
    cal = Calibration.of(model, ranker.ranker if ranker is not None else None)
    rules = Rules()
    ablations = {
        "no artist cap": Rules(max_per_artist=K),
        "session replays allowed": Rules(session_replays="allow"),
    }
    settings = ["raw", *ablations, *(f"slider {x:g}" for x in SLIDER)]
    sums = {name: dict.fromkeys(COLUMNS, 0.0) for name in settings}
    raw_ranks = []
    n = 0
    t1 = time.perf_counter()
    for p, state in walk(model, items, times, split.start):
        if (p - split.start) % every:
            continue
        n += 1
        sig = state.extra["signals"]
        s = np.array(model.scores(state), dtype=np.float64)
        if p > 0:
            s[items[p - 1]] = -np.inf
        target = int(items[p])
        raw_ranks.append(rank_of(s, target))
        target_id = int(space.track_ids[target])
        session_ids = {int(space.track_ids[i]) for i in state.session if i >= 0}
        raw_top = top_k(s, K)
        row = sums["raw"]
        r = raw_ranks[-1]
        row["ndcg@10"] += 1.0 / np.log2(r + 1.0) if r <= K else 0.0
        row["hr@10"] += r <= K
        row["artists@10"] += np.unique(space.artist_of[raw_top]).size
        row["new_share@10"] += float((sig.count[raw_top] == 0).mean())
        row["session@10"] += sum(int(space.track_ids[i]) in session_ids for i in raw_top.tolist())
        known = np.where(sig.count > 0, s, -np.inf)
        fam_idx = top_k(known, POOL)
        familiar = [Recommendation(int(space.track_ids[i]), float(s[i]), "") for i in fam_idx.tolist()]
        targets = {target_id}
        if ranker is not None:
            disc = [Recommendation(t, sc, "", True) for t, sc in ranker.candidates(p, POOL_NEW)]
            if ranker.target_id(p) is not None:
                targets.add(ranker.target_id(p))
        else:
            heard = (w_own >= 0) & (sig.count[np.maximum(w_own, 0)] > 0)
            aff = model.artist_affinity(state)
            d = np.where(w_art >= 0, 10.0 * aff[np.maximum(w_art, 0)], 0.0) + w_pop
            d[heard] = -np.inf
            disc = [
                Recommendation(int(w_tracks[i]), float(d[i]), "", True) for i in top_k(d, POOL_NEW).tolist()
            ]
        plays = {int(space.track_ids[i]): int(sig.count[i]) for i in fam_idx.tolist()}
        previous: set[int] | None = None
        runs = [(name, r, 0.5) for name, r in ablations.items()] + [
            (f"slider {x:g}", rules, x) for x in SLIDER
        ]
        for name, use, x in runs:
            out = serve(
                familiar,
                disc,
                artist_of=artist_of,
                plays=plays,
                session=session_ids,
                replay_rate=replay,
                calibration=cal,
                rules=use,
                steering=Steering.from_slider(x),
            )
            ids = [int(rec.track_id) for rec in out.main]
            row = sums[name]
            pos = next((j for j, t in enumerate(ids) if t in targets), None)
            row["ndcg@10"] += _gain(pos)
            row["hr@10"] += pos is not None
            row["artists@10"] += len({artist_of[t] for t in ids})
            row["new_share@10"] += float(np.mean([rec.new_to_user for rec in out.main])) if ids else 0.0
            row["session@10"] += sum(t in session_ids for t in ids)
            if name.startswith("slider"):
                if previous is not None:
                    row["changed@10"] += len(set(ids) - previous)
                previous = set(ids)
    walk_s = time.perf_counter() - t1
    if ranker is not None:
        ranker.close()
    means = {name: {c: v / n for c, v in row.items()} for name, row in sums.items()}
    return {
        "account": account,
        "n_test": split.n_targets,
        "n_scored": n,
        "every": every,
        "stream": stream,
        "catalogue": int(w_tracks.size if ranker is None else ranker.ranker.ctx.dspace.candidate.sum()),
        "ranker_fit_seconds": round(ranker_fit_s, 1) if ranker is not None else None,
        "session_replay_rate": round(replay, 4),
        "session_slots": rules.session_slots(replay),
        "ndcg@10_harness": ndcg(np.asarray(raw_ranks)),
        "fit_seconds": round(fit_s, 1),
        "walk_seconds": round(walk_s, 1),
        "settings": means,
    }


def tables(rows: list[dict]) -> str:
    names = list(rows[0]["settings"])
    mean = {s: {c: float(np.mean([r["settings"][s][c] for r in rows])) for c in COLUMNS} for s in names}
    out = [
        f"Mean over {len(rows)} listeners:",
        "",
        "| list | " + " | ".join(COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for s in names:
        out.append(f"| {s} | " + " | ".join(f"{mean[s][c]:.3f}" for c in COLUMNS) + " |")
    out += [
        "",
        "Per listener (raw default → served at the slider's middle):",
        "",
        "| listener | replay rate | session slots | NDCG@10 raw | served | artists@10 raw | served"
        " | new@10 at 0 / .25 / .5 / .75 / 1 |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        st = r["settings"]
        curve = " / ".join(f"{st[f'slider {x:g}']['new_share@10']:.2f}" for x in SLIDER)
        out.append(
            f"| {r['account']} | {r['session_replay_rate']:.3f} | {r['session_slots']} | "
            f"{st['raw']['ndcg@10']:.4f} | {st['slider 0.5']['ndcg@10']:.4f} | {st['raw']['artists@10']:.2f} | "
            f"{st['slider 0.5']['artists@10']:.2f} | {curve} |"
        )
    return "\n".join(out)


def main() -> None:
    from models.evaluation.datasets import dataset_store, real_listeners

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", help="comma-separated (default: every listener with >= 5,000 plays)")
    ap.add_argument("--every", type=int, default=1, help="score every n-th test target (default: all)")
    ap.add_argument("--stream", choices=("ranker", "affinity"), default="ranker", help="the discovery stream")
    args = ap.parse_args()
    store = dataset_store()
    accounts = args.accounts.split(",") if args.accounts else real_listeners(store)
    rows = []
    for account in accounts:
        row = run_account(store, account, args.every, args.stream)
        rows.append(row)
        st = row["settings"]
        print(
            f"{account:12s} n={row['n_scored']:5d} raw {st['raw']['ndcg@10']:.4f} (harness "
            f"{row['ndcg@10_harness']:.4f}) served {st['slider 0.5']['ndcg@10']:.4f} artists "
            f"{st['raw']['artists@10']:.1f}→{st['slider 0.5']['artists@10']:.1f} replay {row['session_replay_rate']:.3f}"
            f" fit {row['fit_seconds']} s walk {row['walk_seconds']} s",
            flush=True,
        )
    path = save(
        f"bench_served_{args.stream}" if args.stream != "ranker" else "bench_served",
        {"accounts": accounts, "pool": POOL, "k": K, "stream": args.stream, "per_account": rows},
    )
    print()
    print(tables(rows))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
