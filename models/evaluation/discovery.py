"""The discovery protocol (docs/architecture.md §8b): new-to-you targets ranked over a leak-free catalogue.

Per listener (``discovery_data.listener_store``: a store that never held the listener's test span,
with the catalogue built by the product's offline sources and the HetRec co-listening graph):

1. the candidate catalogue is ``core.catalogue.load_catalogue`` of that store; the ``DiscoverySpace``
   holds it and the listener's plays (test plays the store cannot match are ghosts: never candidates);
2. every discovery model is fitted on the training span only — the ranker on lists from the
   explore targets of its validation tail, with an artist2vec fitted on plays up to that tail's
   start; for the test span the artist2vec is refitted on the whole training span;
3. the test span is walked play by play (state before the target, target observed after). At an
   **explore target** (a track the listener never played before) every model ranks all candidates
   not heard yet — a full ranking, ties counted against the target; a target the catalogue does not
   hold is a miss. At a **new-artist target** (the first play of an artist) every model ranks the
   catalogue's artists the listener never played.

Metrics per (listener, seed, model): ``reach`` (share of explore targets in the catalogue),
``hr@10`` / ``ndcg@10`` / ``mrr@20`` on explore targets, ``new_artist_reach`` and
``new_artist_hr@10`` / ``new_artist_ndcg@10``, the candidate counts, fit and walk times.
Models: the ranker, its ablations (each group off; each group added to the history-only base) and
the baselines (``blends.BASELINE_BLENDS``).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.jobs import CancelToken, Progress
from models.discovery.artist2vec import fit_artist2vec, local_sessions
from models.discovery.blends import BASELINE_BLENDS, blend_vector
from models.discovery.content import load_content
from models.discovery.features import blocks
from models.discovery.fitting import Blend, Spec
from models.discovery.ranker import ARTIST_GROUPS, TRACK_GROUPS, DiscoveryRanker
from models.discovery.signals import ARTIST_FEATURES, TRACK_FEATURES, Context, DiscoveryData, DiscoveryState
from models.discovery.space import DiscoverySpace, build_space
from models.evaluation.discovery_data import ListenerData
from models.evaluation.metrics import hit_rate, mrr, ndcg
from models.evaluation.splits import validation_split

PROTOCOL: dict[str, Any] = {
    "name": "segue-discovery",
    "version": 1,
    "catalogue": "per listener, a copy of the real-listener store without the listener's test span; "
    "catalogue from local.accounts + local.tables (open feature tables) + bench.hetrec_colisten",
    "explore_target": "a test play of a track the listener never played before (any catalogue)",
    "new_artist_target": "a test play of an artist the listener never played before",
    "ranking": "full ranking over every candidate not heard yet (tracks) / every catalogue artist "
    "never played (artists); ties count against the target; a target outside the catalogue is a miss",
    "fitting": "training span only; the ranker learns on the explore targets of the validation tail",
}
BASE_GROUPS = ("affinity", "album", "popularity")


@dataclass
class Variant:
    name: str
    kind: str  # ranker | ablation | baseline
    tracks: Blend
    artists: Blend


def _variant_specs() -> list[tuple[str, tuple[str, ...] | None, tuple[str, ...] | None]]:
    """(name, track groups, artist groups): the full ranker, each group off, the base plus each group."""
    specs: list[tuple[str, tuple[str, ...] | None, tuple[str, ...] | None]] = [("discovery", None, None)]
    for g in TRACK_GROUPS:
        specs.append(
            (
                f"discovery -{g}",
                tuple(x for x in TRACK_GROUPS if x != g),
                tuple(x for x in ARTIST_GROUPS if x != g),
            )
        )
    base_artist = tuple(g for g in BASE_GROUPS if g in ARTIST_GROUPS)
    for g in TRACK_GROUPS:
        if g not in BASE_GROUPS:
            specs.append(
                (f"base +{g}", (*BASE_GROUPS, g), (*base_artist, g) if g in ARTIST_GROUPS else base_artist)
            )
    specs.append(("base", BASE_GROUPS, base_artist))
    return specs


def listener_space(ld: ListenerData) -> tuple[DiscoverySpace, np.ndarray, np.ndarray]:
    """The listener's discovery space, every play of the sequence as a dense item, and its dense album."""
    from core.catalogue.query import load_catalogue

    catalogue = load_catalogue(ld.store.engine, ld.account_id, exclude_heard=False)
    dspace = build_space(ld.store.engine, catalogue, ld.track_ids, ld.artist_ids, ld.album_ids)
    return dspace, dspace.space.indices(ld.track_ids), dspace.album_index(ld.album_ids)


def _context(ld: ListenerData, dspace: DiscoverySpace, content, upto: int | None, seed: int) -> Context:
    sessions = local_sessions(ld.store.engine, dspace, ld.account_id, listener_upto=upto)
    return Context(dspace, content, fit_artist2vec(sessions, dspace.n_artists, seed=seed))


def fit_variants(
    ld: ListenerData,
    dspace: DiscoverySpace,
    items: np.ndarray,
    albums: np.ndarray,
    content,
    seed: int,
    params: dict | None = None,
) -> tuple[list[Variant], dict]:
    """Every ranker variant fitted on the validation tail (one walk), plus the baselines."""
    times = ld.seq.played_at
    start = ld.split.start
    ranker = DiscoveryRanker(**(params or {}))
    val = validation_split(start, ranker.params["tune_fraction"])
    t0 = time.perf_counter()
    ranker.bind(_context(ld, dspace, content, int(times[val.start]) - 1, seed))
    data = DiscoveryData(
        dspace.space, items[:start], times[:start], np.zeros(start, np.int64), seed, albums[:start]
    )
    specs = [Spec(name, tg, ag) for name, tg, ag in _variant_specs()]
    fitted = ranker.fit_specs(data, specs)
    variants = [
        Variant(
            s.name,
            "ranker" if s.name == "discovery" else "ablation",
            fitted[s.name].tracks,
            fitted[s.name].artists,
        )
        for s in specs
    ]
    for name, (tw, aw) in BASELINE_BLENDS.items():
        t = Blend(TRACK_FEATURES).set_raw(blend_vector(TRACK_FEATURES, tw), name)
        a = Blend(ARTIST_FEATURES).set_raw(blend_vector(ARTIST_FEATURES, aw), name)
        variants.append(Variant(name, "baseline", t, a))
    main = fitted["discovery"]
    info = {
        "fit_seconds": round(time.perf_counter() - t0, 2),
        "validation": main.info,
        "chosen": {
            s.name: [fitted[s.name].info["tracks"]["chosen"], fitted[s.name].info["artists"]["chosen"]]
            for s in specs
        },
        # the validation (selection part, full ranking) NDCG of each spec's chosen blend
        "validation_ndcg": {s.name: _chosen_ndcg(fitted[s.name].info) for s in specs},
        "weights": {
            "tracks": _nonzero(TRACK_FEATURES, main.tracks),
            "artists": _nonzero(ARTIST_FEATURES, main.artists),
        },
    }
    return variants, info


def _chosen_ndcg(info: dict) -> dict[str, float | None]:
    """The chosen blend's selection NDCG at the level's cut-off (``fitting.selection_cutoff``)."""
    return {
        lvl: {
            "cutoff": info[lvl]["selection_cutoff"],
            "ndcg": info[lvl]["selection_ndcg"].get(info[lvl]["chosen"]),
        }
        for lvl in ("tracks", "artists")
    }


def _nonzero(names: list[str], blend: Blend) -> dict[str, float]:
    """Raw-unit weights of the blend's columns (the standardised weight over the column's std)."""
    coef = blend.ranker.weights / blend.ranker.std
    return {n: round(float(c), 5) for n, c in zip(names, coef, strict=True) if c != 0.0}


def _rank(scores: np.ndarray, pos: int) -> float:
    return float(np.count_nonzero(scores >= scores[pos]))


def walk_test(
    ld: ListenerData,
    dspace: DiscoverySpace,
    items: np.ndarray,
    albums: np.ndarray,
    ctx: Context,
    variants: Sequence[Variant],
    cancel: CancelToken | None = None,
) -> dict[str, dict]:
    """Rank every explore and new-artist target of the test span with every variant."""
    times = ld.seq.played_at
    start, n = ld.split.start, len(ld.seq)
    orig_tracks = ld.seq.space.track_ids[ld.seq.items]
    orig_artists = ld.seq.space.artist_ids[ld.seq.space.artist_of[ld.seq.items]]
    seen_t, seen_a = set(orig_tracks[:start].tolist()), set(orig_artists[:start].tolist())
    state = DiscoveryState(ctx, items[:start], times[:start], albums[:start])
    ranks = {v.name: [] for v in variants}
    art_ranks = {v.name: [] for v in variants}
    reach, art_reach, n_cand, n_art = [], [], [], []
    for p in range(start, n):
        if cancel is not None and p % 64 == 0:
            cancel.raise_if_cancelled()
        item = int(items[p])
        t_new, a_new = int(orig_tracks[p]) not in seen_t, int(orig_artists[p]) not in seen_a
        if t_new:
            idx = state.rankable()
            n_cand.append(idx.size)
            ok = item >= 0 and bool(dspace.candidate[item]) and not state.heard[item]
            reach.append(ok)
            b = blocks(state) if ok else None
            pos = int(np.searchsorted(idx, item)) if ok else -1
            for v in variants:
                ranks[v.name].append(_rank(v.tracks.scores.tracks(b, idx), pos) if ok else np.inf)
            if a_new:
                art = int(dspace.space.artist_of[item]) if item >= 0 else -1
                a_idx = state.rankable_artists()
                n_art.append(a_idx.size)
                a_ok = art >= 0 and bool(dspace.artist_pool[art]) and state.artist_count[art] == 0
                art_reach.append(a_ok)
                b = b if b is not None else (blocks(state) if a_ok else None)
                a_pos = int(np.searchsorted(a_idx, art)) if a_ok else -1
                for v in variants:
                    art_ranks[v.name].append(
                        _rank(v.artists.scores.artists(b, a_idx), a_pos) if a_ok else np.inf
                    )
        seen_t.add(int(orig_tracks[p]))
        seen_a.add(int(orig_artists[p]))
        state.observe(item, int(times[p]), album=int(albums[p]))
    out = {}
    for v in variants:
        r, ar = np.asarray(ranks[v.name]), np.asarray(art_ranks[v.name])
        out[v.name] = {
            "kind": v.kind,
            "n_explore": int(r.size),
            "reach": float(np.mean(reach)) if reach else None,
            "hr@10": hit_rate(r),
            "ndcg@10": ndcg(r),
            "mrr@20": mrr(r),
            "n_new_artist": int(ar.size),
            "new_artist_reach": float(np.mean(art_reach)) if art_reach else None,
            "new_artist_hr@10": hit_rate(ar),
            "new_artist_ndcg@10": ndcg(ar),
            "candidates_mean": float(np.mean(n_cand)) if n_cand else 0.0,
            "candidates_min": int(np.min(n_cand)) if n_cand else 0,
            "artist_candidates_mean": float(np.mean(n_art)) if n_art else 0.0,
        }
    return out


def evaluate_listener(
    ld: ListenerData,
    seeds: Sequence[int] = (1, 2, 3),
    params: dict | None = None,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, list[dict]]:
    """Rows (one per seed × model) for one listener."""
    account = ld.store.engine.url.database
    yield Progress(0, len(seeds), f"{account}: catalogue and content")
    dspace, items, albums = listener_space(ld)
    content = load_content(ld.store.engine, dspace)
    rows = []
    for n, seed in enumerate(seeds):
        yield Progress(n, len(seeds), f"seed {seed}: fitting on the validation tail")
        variants, info = fit_variants(ld, dspace, items, albums, content, seed, params)
        ctx = _context(ld, dspace, content, None, seed)
        t0 = time.perf_counter()
        yield Progress(n, len(seeds), f"seed {seed}: walking the test span")
        results = walk_test(ld, dspace, items, albums, ctx, variants, cancel)
        walk_s = round(time.perf_counter() - t0, 2)
        for name, res in results.items():
            rows.append(
                {
                    "model": name,
                    "seed": seed,
                    **res,
                    "walk_seconds": walk_s,
                    **({"fit": info} if name == "discovery" else {}),
                }
            )
    yield Progress(len(seeds), len(seeds), "done")
    coverage = {k: round(float((v.item_row[dspace.candidate] >= 0).mean()), 4) for k, v in content.items()}
    for r in rows:
        r.update(
            {
                "n_items": len(dspace),
                "n_candidates": int(dspace.candidate.sum()),
                "n_artists": dspace.n_artists,
                "content_coverage": coverage,
            }
        )
    return rows
