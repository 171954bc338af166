"""How the familiar ↔ explore and lift controls change suggestions, on the real histories (issue 6).

Protocol (docs/architecture.md §8, through ``models.evaluation``): per listener with ≥ 5,000 collapsed plays
(``datasets.real_listeners``), ``default`` is fitted on the training span; the harness's ``walk`` hands
out the state before each test target; the previous play is excluded as the harness does. For every
target the recommender's scores give a candidate pool (``steering.candidate_pool``: best 50 heard +
best 50 new-to-user items) which each control setting re-ranks (``steering.steer``). Per setting:

- ``ndcg@10`` / ``hr@10`` (also on repeat and explore targets), ranks counted pessimistically as the
  harness does; the neutral setting is checked against the harness's own full-ranking figure;
- ``repeat_share@10``: share of the top 10 the listener had played before; ``new_share@10`` = 1 − it;
- ``changed@10``: tracks of the top 10 not in the previous explore step's top 10 (the slider's
  positions 0 / .25 / .5 / .75 / 1 are "familiar 1.0" / "familiar 0.5" / neutral / "explore 0.5" /
  "explore 1.0"): each step of the slider should visibly change the list;
- ``self_info@10``: mean −log2((plays of the item so far + 1) / (plays so far + items)), in bits —
  higher = less familiar to this listener;
- ``valence@10`` / ``energy@10``: means over top-10 items whose value is known, and ``audio_known@10``.

Audio features: imported into this benchmark's own copy of the listening store from
../shared/data/features/audio with ``core.features.tables.import_table`` (data_by_artist first, then
the track-level tables, whose artist means fill in only where no artist row exists); read per track
with artist fallback (``steering.load_valence_energy``).

Catalogues: ``own`` is the protocol's item space — every track of the listener, so its "new to you"
candidates are exactly tracks the listener plays later (optimistic for exploration). ``wide`` adds
every track of the other listeners in the store as new-to-user candidates, most of which this listener
never plays: closer to what the app's discovery catalogue looks like.

    python -m benchmarks.bench_controls [--accounts a,b] [--catalogue own|wide|both] [--wide-every 4]

Writes bench-results/bench_controls.json (``_own`` / ``_wide`` suffix for one catalogue) and prints tables.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import fit_on_training_span, save
from core import paths
from models.steering import Steering, candidate_pool, load_valence_energy, steer

SETTINGS: tuple[tuple[str, Steering], ...] = (
    ("familiar 1.0", Steering(explore=-1.0)),
    ("familiar 0.5", Steering(explore=-0.5)),
    ("neutral", Steering()),
    ("explore 0.25", Steering(explore=0.25)),
    ("explore 0.5", Steering(explore=0.5)),
    ("explore 0.75", Steering(explore=0.75)),
    ("explore 1.0", Steering(explore=1.0)),
    ("lift 0.5", Steering(lift=0.5)),
    ("lift 1.0", Steering(lift=1.0)),
    ("explore 0.5 + lift 1.0", Steering(explore=0.5, lift=1.0)),
)
K = 10
SLIDER_STEPS = ("familiar 1.0", "familiar 0.5", "neutral", "explore 0.5", "explore 1.0")  # slider 0 … 1
AUDIO = paths.REPO_ROOT.parent / "shared" / "data" / "features" / "audio"
AUDIO_TABLES = (
    "spotify-kaggle-160k-aggregates/data_by_artist.csv",
    "spotify-hit-predictor/dataset-of-60s.csv",
    "spotify-hit-predictor/dataset-of-70s.csv",
    "spotify-hit-predictor/dataset-of-80s.csv",
    "spotify-hit-predictor/dataset-of-90s.csv",
    "spotify-hit-predictor/dataset-of-00s.csv",
    "spotify-hit-predictor/dataset-of-10s.csv",
    "spotify-top-hits-2000-2019/songs_normalize.csv",
    "musicoset/musicoset_songfeatures/acoustic_features.csv",
)
STORE_PATH = "bench-insights-listening.sqlite"


def model_fingerprint() -> dict:
    """Which ``default`` was measured: a hash of its source files (it changes while models/ evolves)."""
    import hashlib

    files = sorted((paths.REPO_ROOT / "models" / "hybrid").glob("*.py")) + [
        paths.REPO_ROOT / "models" / "steering.py"
    ]
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    import subprocess

    def git(*a: str) -> str:
        out = subprocess.run(["git", *a], cwd=paths.REPO_ROOT, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    return {
        "files": [str(f.relative_to(paths.REPO_ROOT)) for f in files],
        "sha256": h.hexdigest()[:16],
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(
            git("status", "--porcelain", "--", "models/hybrid", "models/steering.py")
        ),
    }


def bench_store():
    """The real listeners (``models.evaluation.datasets``) in this benchmark's own file, with audio
    feature tables imported once (the shared evaluation cache is left untouched)."""
    from sqlalchemy import func, select

    from core.features.tables import import_table
    from core.jobs import run_job
    from core.store.schema import AudioFeatures
    from models.evaluation.datasets import dataset_store

    store = dataset_store(Path(paths.cache_dir()) / STORE_PATH)
    with store.engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(AudioFeatures)).scalar_one()
    if not have:
        for rel in AUDIO_TABLES:
            if (AUDIO / rel).exists():
                s = run_job(import_table(store, AUDIO / rel, "audio"))
                print(
                    f"  audio table {rel}: {s.matched_tracks} tracks, {s.matched_artists} artists", flush=True
                )
    return store


@dataclass
class Acc:
    """Per-setting sums over targets."""

    gain: float = 0.0
    hit: float = 0.0
    gain_rep: float = 0.0
    gain_exp: float = 0.0
    repeat_share: float = 0.0
    changed: float = 0.0
    self_info: float = 0.0
    valence: float = 0.0
    n_valence: int = 0
    energy: float = 0.0
    n_energy: int = 0
    audio_known: float = 0.0


def _gain(rank: float) -> float:
    return 1.0 / np.log2(rank + 1.0) if rank <= K else 0.0


def _pessimistic_rank(values: np.ndarray, j: int) -> float:
    v = values[j]
    return float(np.count_nonzero(values >= v)) if np.isfinite(v) else float("inf")


def wide_space(store, space, account_id: int):
    """``space`` plus every track of the other accounts (appended: existing indices keep their meaning)."""
    from sqlalchemy import select

    from core.store.schema import Scrobble, Track

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(Track.id, Track.artist_id)
            .where(
                Track.id.in_(select(Scrobble.track_id).where(Scrobble.account_id != account_id).distinct())
            )
            .order_by(Track.id)
        ).all()
    return space.extended([r[0] for r in rows], [r[1] for r in rows])


def run_account(store, account: str, catalogue: str, every: int = 1) -> dict:
    """Every setting on one listener; ``every`` > 1 scores only every n-th test target (the state still
    observes every play), for the slow wide catalogue."""
    from models.evaluation import splits
    from models.evaluation.harness import walk
    from models.evaluation.metrics import ndcg, rank_of

    info, seq, split, model, fit_s = fit_on_training_span(store, account)
    space = seq.space if catalogue == "own" else wide_space(store, seq.space, info.id)
    if space is not seq.space:
        model.extend_space(space)
    n_items = len(space)
    valence, energy = load_valence_energy(store.engine, space.track_ids)
    items, times = seq.items, seq.played_at
    counts = np.bincount(items[: split.start], minlength=n_items).astype(np.float64)
    repeat = splits.repeat_mask(items, split.positions)
    accs = {name: Acc() for name, _s in SETTINGS}
    harness_ranks = []
    pool_sizes = []
    t1 = time.perf_counter()
    scored = np.zeros(split.n_targets, dtype=bool)
    for p, state in walk(model, items, times, split.start):
        if (p - split.start) % every:
            counts[int(items[p])] += 1
            continue
        scored[p - split.start] = True
        s = np.array(model.scores(state), dtype=np.float64, copy=True)
        if p > 0:
            s[items[p - 1]] = -np.inf
        s[np.isnan(s)] = -np.inf
        target = int(items[p])
        harness_ranks.append(rank_of(s, target))
        heard = counts > 0
        pool = candidate_pool(s, heard)
        pool_sizes.append(pool.size)
        where = np.flatnonzero(pool == target)
        c_pool, v_pool, e_pool = counts[pool], valence[pool], energy[pool]
        si_pool = -np.log2((c_pool + 1.0) / (p + n_items))
        is_rep = bool(repeat[p - split.start])
        previous: set[int] | None = None
        for name, setting in SETTINGS:
            out = steer(s[pool], c_pool, v_pool, e_pool, setting)
            top = out.order[:K]
            rank = _pessimistic_rank(out.scores, int(where[0])) if where.size else float("inf")
            a = accs[name]
            g = _gain(rank)
            a.gain += g
            a.hit += rank <= K
            if is_rep:
                a.gain_rep += g
            else:
                a.gain_exp += g
            a.repeat_share += float((c_pool[top] > 0).mean()) if top.size else 0.0
            if name in SLIDER_STEPS:
                shown = set(pool[top].tolist())
                a.changed += len(shown - previous) if previous is not None else 0.0
                previous = shown
            a.self_info += float(si_pool[top].mean()) if top.size else 0.0
            vt, et = v_pool[top], e_pool[top]
            if np.isfinite(vt).any():
                a.valence += float(np.nanmean(vt))
                a.n_valence += 1
            if np.isfinite(et).any():
                a.energy += float(np.nanmean(et))
                a.n_energy += 1
            a.audio_known += float((np.isfinite(vt) | np.isfinite(et)).mean()) if top.size else 0.0
        counts[target] += 1
    walk_s = time.perf_counter() - t1
    n = int(scored.sum())
    n_rep = int(repeat[scored].sum())
    rows = {}
    for name, a in accs.items():
        rows[name] = {
            "ndcg@10": a.gain / n,
            "hr@10": a.hit / n,
            "ndcg@10_repeat": a.gain_rep / n_rep if n_rep else None,
            "ndcg@10_explore": a.gain_exp / (n - n_rep) if n - n_rep else None,
            "repeat_share@10": a.repeat_share / n,
            "new_share@10": 1 - a.repeat_share / n,
            "changed@10": a.changed / n if name in SLIDER_STEPS[1:] else None,
            "self_info@10": a.self_info / n,
            "valence@10": a.valence / a.n_valence if a.n_valence else None,
            "energy@10": a.energy / a.n_energy if a.n_energy else None,
            "audio_known@10": a.audio_known / n,
        }
    return {
        "account": account,
        "catalogue": catalogue,
        "n_test": split.n_targets,
        "n_scored": n,
        "every": every,
        "n_repeat": n_rep,
        "n_items": n_items,
        "audio_known_items": float(np.mean(np.isfinite(valence) | np.isfinite(energy))),
        "ndcg@10_harness": ndcg(np.asarray(harness_ranks)),
        "mean_pool": float(np.mean(pool_sizes)),
        "fit_seconds": round(fit_s, 1),
        "walk_seconds": round(walk_s, 1),
        "settings": rows,
    }


def mean_over_accounts(rows: list[dict]) -> dict:
    out = {}
    for name, _s in SETTINGS:
        keys = rows[0]["settings"][name].keys()
        out[name] = {}
        for k in keys:
            vals = [r["settings"][name][k] for r in rows if r["settings"][name][k] is not None]
            out[name][k] = float(np.mean(vals)) if vals else None
    return out


def table(mean: dict, title: str) -> str:
    cols = (
        "ndcg@10",
        "hr@10",
        "ndcg@10_repeat",
        "ndcg@10_explore",
        "repeat_share@10",
        "changed@10",
        "self_info@10",
        "valence@10",
        "energy@10",
        "audio_known@10",
    )
    base = mean["neutral"]["ndcg@10"]
    lines = [
        f"## {title}",
        "",
        "| setting | " + " | ".join(cols) + " | ΔNDCG@10 vs neutral |",
        "|---" * (len(cols) + 2) + "|",
    ]
    for name, _s in SETTINGS:
        r = mean[name]
        cells = ["–" if r[c] is None else f"{r[c]:.3f}" for c in cols]
        delta = r["ndcg@10"] - base
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {delta:+.3f} ({delta / base:+.0%}) |")
    return "\n".join(lines)


def main() -> None:
    from models.evaluation.datasets import real_listeners

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", help="comma-separated (default: every listener with >= 5,000 plays)")
    ap.add_argument("--catalogue", choices=["own", "wide", "both"], default="both")
    ap.add_argument(
        "--wide-every",
        type=int,
        default=4,
        help="wide catalogue: score every n-th test target (default 4; scoring ~70k items is slow)",
    )
    args = ap.parse_args()
    fingerprint = model_fingerprint()  # before the model is imported: the code this run measures
    store = bench_store()
    accounts = args.accounts.split(",") if args.accounts else real_listeners(store)
    catalogues = ["own", "wide"] if args.catalogue == "both" else [args.catalogue]
    results: dict[str, list[dict]] = {c: [] for c in catalogues}
    for catalogue in catalogues:
        for account in accounts:
            row = run_account(store, account, catalogue, every=args.wide_every if catalogue == "wide" else 1)
            results[catalogue].append(row)
            nt = row["settings"]["neutral"]
            print(
                f"{catalogue:4s} {account:12s} n={row['n_scored']:5d} neutral ndcg@10 {nt['ndcg@10']:.3f} "
                f"(harness {row['ndcg@10_harness']:.3f})  explore1 {row['settings']['explore 1.0']['ndcg@10']:.3f} "
                f"new@10 {row['settings']['explore 1.0']['new_share@10']:.2f}  fit {row['fit_seconds']} s "
                f"walk {row['walk_seconds']} s",
                flush=True,
            )
    if model_fingerprint()["sha256"] != fingerprint["sha256"]:
        fingerprint["changed_during_run"] = True
    report = {
        "model": fingerprint,
        "accounts": accounts,
        "k": K,
        "settings": {n: vars(s) for n, s in SETTINGS},
        "per_account": results,
        "mean": {c: mean_over_accounts(rows) for c, rows in results.items()},
    }
    path = save("bench_controls" if args.catalogue == "both" else f"bench_controls_{args.catalogue}", report)
    for c in catalogues:
        print()
        print(table(report["mean"][c], f"{c} catalogue: mean over {len(accounts)} listeners"))
    print(f"\nwrote {path}")
    print(
        json.dumps(
            {
                "neutral_matches_harness": all(
                    abs(r["settings"]["neutral"]["ndcg@10"] - r["ndcg@10_harness"]) < 1e-9
                    for rows in results.values()
                    for r in rows
                )
            }
        )
    )


if __name__ == "__main__":
    main()
