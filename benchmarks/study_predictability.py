"""Are more repetitive listeners more predictable? (issue 6 study, as the research did, on real histories)

Listeners: every account of ``models.evaluation.datasets`` with ≥ 5,000 plays after the protocol's
collapsing (the bar of issue 3: a test span of ≥ 500 targets and enough weeks); the two smaller ones
(the Last.fm-1K sample user, felhag) are added only in a sensitivity row.

Predictability: NDCG@10 of ``default`` under docs/architecture.md §8 (fitted on the training span, every test
target ranked by ``models.evaluation.harness.rank_targets`` over the full item space), overall and on
repeat targets.

Repetition indicators (``core.insights.indicators.weekly_indicators``, UTC weeks; the exports do not say
the listener's zone): repetition (same track again that week), within-session and across-session
repetition, artist repetition, artist diversity (entropy, bits). A listener's value is the plays-weighted
mean over weeks with ≥ 20 plays of the *training span* (measured before the predicted period; the test
span version is reported as a sensitivity check).

Between listeners: Spearman ρ of each indicator with NDCG@10, with an exact permutation p-value (all
n! orderings for n ≤ 9). Within listeners: for each listener, Spearman ρ between a test-span week's
NDCG@10 (weeks with ≥ 20 targets) and that week's repetition; a sign count over listeners.

    python -m benchmarks.study_predictability [--accounts a,b]

Writes bench-results/study_predictability.json and prints the tables for docs/insights-study.md.
"""

from __future__ import annotations

import argparse
import itertools
import time
from datetime import UTC, datetime

import numpy as np

from benchmarks.common import save

INDICATORS = (
    "repetition",
    "repetition_within_session",
    "repetition_across_sessions",
    "artist_repetition",
    "diversity",
)
WITHIN_KEYS = (
    *INDICATORS,
    "repeat_targets",
)  # the last: share of the week's targets heard before (mechanical)
MIN_WEEK_PLAYS = 20
MIN_WEEK_TARGETS = 20
SMALL = ("lastfm1k", "felhag")


def _rank(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x)


def spearman(x, y) -> dict:
    """ρ with an exact permutation p-value for n ≤ 9 (else scipy's t approximation)."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 3:
        return {"rho": None, "p": None, "n": n}
    rho = float(spearmanr(x, y).statistic)
    if n <= 9:
        rx, ry = _rank(x), _rank(y)
        rx = rx - rx.mean()
        denom = np.sqrt((rx**2).sum() * ((ry - ry.mean()) ** 2).sum())
        obs = abs((rx * (ry - ry.mean())).sum() / denom)
        ry_c = ry - ry.mean()
        perms = np.array(list(itertools.permutations(range(n))), dtype=np.int8)
        r = np.abs((ry_c[perms] * rx).sum(axis=1) / denom)
        p = float(np.mean(r >= obs - 1e-12))
        method = "exact permutation"
    else:
        p = float(spearmanr(x, y).pvalue)
        method = "t approximation"
    return {"rho": rho, "p": p, "n": n, "method": method}


def listener_indicators(weeks: list[dict], until: int | None = None, since: int | None = None) -> dict:
    """Plays-weighted means of the indicators over weeks with enough plays, optionally limited to weeks
    starting before ``until`` / on or after ``since`` (unix seconds)."""

    def start(w: dict) -> int:
        return int(datetime.fromisoformat(w["week"]).replace(tzinfo=UTC).timestamp())

    use = [
        w
        for w in weeks
        if w["plays"] >= MIN_WEEK_PLAYS
        and (until is None or start(w) + 7 * 86400 <= until)
        and (since is None or start(w) >= since)
    ]
    out = {"weeks": len(use)}
    for key in INDICATORS:
        vals = [(w[key], w["plays"]) for w in use if w.get(key) is not None]
        wsum = sum(p for _v, p in vals)
        out[key] = sum(v * p for v, p in vals) / wsum if wsum else None
    return out


def run_listener(store, account: str) -> dict:
    from core.insights.indicators import weekly_indicators
    from core.store.queries import account_by_name
    from models.data import build_sequence
    from models.evaluation import splits
    from models.evaluation.harness import rank_targets
    from models.evaluation.metrics import ndcg
    from models.registry import create

    info = account_by_name(store.engine, account)
    seq = build_sequence(store.engine, info.id)
    split = splits.test_split(len(seq))
    model = create("default")
    t0 = time.perf_counter()
    model.fit(seq.prefix(split.start))
    run = rank_targets(model, seq.items, seq.played_at, split.start)
    secs = time.perf_counter() - t0
    repeat = splits.repeat_mask(seq.items, run.positions)
    cut = int(seq.played_at[split.start])
    weeks = weekly_indicators(store.engine, info.id, tz_name="UTC")
    by_week = {w["week"]: w for w in weeks}
    # per-week NDCG@10 in the test span (UTC Monday weeks, as the indicators)
    days = seq.played_at[run.positions] // 86400
    week_start = days - ((days + 3) % 7)
    per_week = []
    for ws in np.unique(week_start):
        sel = week_start == ws
        label = str(datetime.fromtimestamp(int(ws) * 86400, UTC).date())
        w = by_week.get(label)
        if sel.sum() >= MIN_WEEK_TARGETS and w is not None and w["plays"] >= MIN_WEEK_PLAYS:
            per_week.append(
                {
                    "week": label,
                    "targets": int(sel.sum()),
                    "ndcg@10": ndcg(run.ranks[sel]),
                    "ndcg@10_repeat": ndcg(run.ranks[sel & repeat]),
                    "repeat_targets": float(repeat[sel].mean()),
                    **{k: w[k] for k in INDICATORS},
                }
            )
    within = {k: spearman([r["ndcg@10"] for r in per_week], [r[k] for r in per_week]) for k in WITHIN_KEYS}
    within_repeat = {
        k: spearman([r["ndcg@10_repeat"] for r in per_week], [r[k] for r in per_week]) for k in WITHIN_KEYS
    }
    return {
        "account": account,
        "plays": len(seq),
        "n_test": int(run.ranks.size),
        "ndcg@10": ndcg(run.ranks),
        "ndcg@10_repeat": ndcg(run.ranks[repeat]),
        "repeat_target_share": float(repeat.mean()),
        "seconds": round(secs, 1),
        "train_span": listener_indicators(weeks, until=cut),
        "test_span": listener_indicators(weeks, since=cut),
        "per_week": per_week,
        "within": within,
        "within_repeat": within_repeat,
    }


def pooled_within(rows: list[dict], key: str, target: str = "ndcg@10", min_weeks: int = 4) -> dict:
    """Weeks of every listener with ≥ ``min_weeks`` weeks, each variable turned into within-listener
    centred ranks (so listeners' levels do not count), then one Pearson correlation over all weeks;
    plus a sign count of the per-listener ρ (two-sided binomial p)."""
    from scipy.stats import binomtest, pearsonr

    xs, ys, signs = [], [], []
    for r in rows:
        weeks = [w for w in r["per_week"] if w.get(key) is not None and w.get(target) is not None]
        if len(weeks) < min_weeks:
            continue
        for vals, out in (([w[target] for w in weeks], ys), ([w[key] for w in weeks], xs)):
            rk = _rank(np.asarray(vals, float))
            out.extend(((rk - rk.mean()) / len(rk)).tolist())
        rho = r["within" if target == "ndcg@10" else "within_repeat"][key]["rho"]
        if rho is not None and rho != 0:
            signs.append(rho > 0)
    out = {"weeks": len(xs), "listeners": len(signs), "positive": int(sum(signs))}
    if len(xs) >= 3:
        out["r"] = float(pearsonr(xs, ys).statistic)
        out["p"] = float(pearsonr(xs, ys).pvalue)
    if signs:
        out["sign_p"] = float(binomtest(int(sum(signs)), len(signs), 0.5).pvalue)
    return out


def between(rows: list[dict], span: str, target: str = "ndcg@10") -> dict:
    return {k: spearman([r[span][k] for r in rows], [r[target] for r in rows]) for k in INDICATORS} | {
        "repeat_target_share": spearman([r["repeat_target_share"] for r in rows], [r[target] for r in rows])
    }


def _fmt(c: dict) -> str:
    if c["rho"] is None:
        return f"– (n={c['n']})"
    return f"{c['rho']:+.2f} (p={c['p']:.2f}, n={c['n']})"


def main() -> None:
    from benchmarks.bench_controls import bench_store, model_fingerprint
    from models.evaluation.datasets import real_listeners

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", help="comma-separated (default: every listener with >= 5,000 plays)")
    ap.add_argument(
        "--no-small", action="store_true", help="skip the sensitivity row with the small listeners"
    )
    args = ap.parse_args()
    fingerprint = model_fingerprint()
    store = bench_store()
    main_accounts = args.accounts.split(",") if args.accounts else real_listeners(store)
    extra = [] if args.no_small or args.accounts else [a for a in SMALL]
    rows = {}
    for account in [*main_accounts, *extra]:
        r = run_listener(store, account)
        rows[account] = r
        print(
            f"{account:12s} plays {r['plays']:6d} test {r['n_test']:5d} ndcg@10 {r['ndcg@10']:.3f} "
            f"repeat-targets {r['repeat_target_share']:.2f} repetition {r['train_span']['repetition'] or 0:.3f} "
            f"weeks {len(r['per_week'])} ({r['seconds']} s)",
            flush=True,
        )
    main_rows = [rows[a] for a in main_accounts]
    all_rows = [rows[a] for a in [*main_accounts, *extra]]
    report = {
        "model": fingerprint,
        "accounts": main_accounts,
        "sensitivity_accounts": extra,
        "listeners": rows,
        "between": {
            "train_span_vs_ndcg": between(main_rows, "train_span"),
            "train_span_vs_ndcg_repeat": between(main_rows, "train_span", "ndcg@10_repeat"),
            "test_span_vs_ndcg": between(main_rows, "test_span"),
            "with_small_listeners": between(all_rows, "train_span") if extra else None,
        },
        "within": {a: rows[a]["within"] for a in main_accounts},
        "within_pooled": {k: pooled_within(main_rows, k) for k in WITHIN_KEYS},
        "within_pooled_repeat_targets": {
            k: pooled_within(main_rows, k, "ndcg@10_repeat") for k in WITHIN_KEYS
        },
    }
    path = save("study_predictability", report)
    print("\nBetween listeners (Spearman ρ with NDCG@10 of default):")
    print(
        "| indicator | training-span indicator | vs NDCG@10 on repeat targets | test-span indicator |"
        + (" + small listeners |" if extra else "")
    )
    for k in (*INDICATORS, "repeat_target_share"):
        b = report["between"]
        cells = [
            _fmt(b["train_span_vs_ndcg"][k]),
            _fmt(b["train_span_vs_ndcg_repeat"][k]),
            _fmt(b["test_span_vs_ndcg"][k]),
        ] + ([_fmt(b["with_small_listeners"][k])] if extra else [])
        print(f"| {k} | " + " | ".join(cells) + " |")
    print("\nWithin listeners (Spearman ρ, weekly NDCG@10 vs the week's indicator):")
    print(
        "| listener | weeks | repetition | within-session | across-session | artist repetition | diversity | "
        "repeat-target share |"
    )
    for a in main_accounts:
        w = rows[a]["within"]
        print(f"| {a} | {w['repetition']['n']} | " + " | ".join(_fmt(w[k]) for k in WITHIN_KEYS) + " |")
    print("\nWithin listeners, pooled (within-listener ranks; listeners with >= 4 weeks):")
    print(
        "| indicator | vs weekly NDCG@10 | listeners positive | vs weekly NDCG@10 on repeat targets | positive |"
    )
    for k in WITHIN_KEYS:
        cells = []
        for block in ("within_pooled", "within_pooled_repeat_targets"):
            w = report[block][k]
            cells.append(
                f"r={w.get('r', float('nan')):+.2f} (p={w.get('p', float('nan')):.3f}, {w['weeks']} weeks)"
            )
            cells.append(f"{w['positive']}/{w['listeners']} (sign p={w.get('sign_p', float('nan')):.3f})")
        print(f"| {k} | " + " | ".join(cells) + " |")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
