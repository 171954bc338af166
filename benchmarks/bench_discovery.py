"""The leak-free discovery evaluation of issue 13 (docs/architecture.md §8b) on the real listeners.

For each listener with ≥ 5,000 plays: a store without their test span, the catalogue built there by
the product's offline sources plus HetRec 2011 co-listening (``models.evaluation.discovery_data``,
cached), then every discovery model — the ranker, its ablations, the three baselines — fitted on the
training span and walked over the test span (``models.evaluation.discovery``).

    python -m benchmarks.bench_discovery [--accounts all|a,b] [--seeds 1,2,3] [--merge]
                                         [--out docs/results/discovery.json] [--report]

Prints the mean over listeners (seeds averaged within a listener first, listeners weigh the same)
and the target check: the ranker ≥ 1.5 × the best baseline on explore NDCG@10 and on new-artist
HR@10. ``--merge`` keeps the rows of listeners not re-run; the file is rewritten after each listener.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.common import machine

ROOT = Path(__file__).resolve().parents[1]
METRICS = (
    "reach",
    "hr@10",
    "ndcg@10",
    "mrr@20",
    "new_artist_reach",
    "new_artist_hr@10",
    "new_artist_ndcg@10",
    "n_explore",
    "n_new_artist",
    "candidates_mean",
)
TARGET = 1.5


def target_check(results: list[dict]) -> dict:
    from models.evaluation.report import summarise

    rows = {r["model"]: r for r in summarise(results, METRICS)}
    baselines = {r["model"] for r in results if r.get("kind") == "baseline"}
    out: dict = {"ratio_required": TARGET}
    if "discovery" not in rows or not baselines:
        return out
    for metric in ("ndcg@10", "new_artist_hr@10"):
        best = max(baselines, key=lambda m: rows[m][metric] or 0.0)
        ours, theirs = rows["discovery"][metric] or 0.0, rows[best][metric] or 0.0
        out[metric] = {
            "discovery": ours,
            "best_baseline": best,
            "baseline": theirs,
            "ratio": ours / theirs if theirs else None,
            "met": bool(theirs and ours >= TARGET * theirs),
        }
    out["met"] = all(out[m]["met"] for m in ("ndcg@10", "new_artist_hr@10"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", default="all")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "discovery.json"))
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("--report", action="store_true", help="only print the tables of an existing --out file")
    args = ap.parse_args()
    out = Path(args.out)
    if args.report:
        report(json.loads(out.read_text(encoding="utf-8")))
        return

    from core.jobs import run_job
    from models.evaluation.datasets import dataset_store, real_listeners
    from models.evaluation.discovery import PROTOCOL, evaluate_listener
    from models.evaluation.discovery_data import listener_store

    base = dataset_store()
    accounts = real_listeners(base) if args.accounts == "all" else args.accounts.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.time()

    def show(p) -> None:
        print(f"[{time.time() - started:7.0f}s] {p.done}/{p.total} {p.message}", file=sys.stderr, flush=True)

    doc: dict = {"results": [], "listeners": {}}
    if args.merge and out.exists():
        doc = json.loads(out.read_text(encoding="utf-8"))
    for account in accounts:
        t0 = time.time()
        ld = run_job(listener_store(base, account), show)
        rows = run_job(evaluate_listener(ld, seeds), show)
        ld.store.dispose()
        for r in rows:
            r["account"] = account
        doc["results"] = [r for r in doc["results"] if r["account"] != account] + rows
        doc["listeners"][account] = {
            "plays": len(ld.seq),
            "test_plays": ld.split.n_targets,
            "cut_time": ld.cut_time,
            "seconds": round(time.time() - t0, 1),
            "load_avg_1m": machine()["load_avg_1m"],
        }
        doc["protocol"] = PROTOCOL
        doc["target"] = target_check(doc["results"])
        doc["run"] = {
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine(),
            "seconds": round(time.time() - started, 1),
            "seeds": seeds,
            "command": "python -m benchmarks.bench_discovery " + " ".join(sys.argv[1:]),
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    report(doc)
    print(f"wrote {out}")


def report(doc: dict) -> None:
    from models.evaluation.report import account_table, markdown_table, summarise

    rows = summarise(doc["results"], METRICS)
    kind = {r["model"]: r.get("kind", "") for r in doc["results"]}
    for r in rows:
        r["kind"] = kind.get(r["model"], "")
    rows.sort(key=lambda r: (r["kind"] != "ranker", r["kind"] != "baseline", -(r["ndcg@10"] or 0.0)))
    print(markdown_table(rows, ("kind", "accounts", "runs", *METRICS)))
    for metric in ("reach", "ndcg@10", "new_artist_hr@10"):
        print(f"\n{metric} per listener (mean over seeds):\n")
        keep = [r for r in doc["results"] if r.get("kind") != "ablation"]
        print(account_table(keep, metric))
    t = doc.get("target") or {}
    for metric in ("ndcg@10", "new_artist_hr@10"):
        if metric in t:
            m = t[metric]
            ratio = f"{m['ratio']:.2f}x" if m["ratio"] is not None else "n/a"
            print(
                f"\n{metric}: discovery {m['discovery']:.4f} vs best baseline {m['best_baseline']} "
                f"{m['baseline']:.4f} = {ratio} (target {TARGET}x: {'met' if m['met'] else 'NOT met'})"
            )


if __name__ == "__main__":
    main()
