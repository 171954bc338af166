"""The full evaluation of issue 3: every model × every real listener with ≥ 5,000 plays × seeds.

Protocol: docs/architecture.md §8 through ``models.evaluation.runner.run_evaluation`` (the same code as
``segue eval``), on the cached store of the real histories in ../shared
(``models.evaluation.datasets``). Each (account, model) runs in its own process (``--no-isolate`` to
turn that off) so peak memory is the model's own. Seed-invariant models (``deterministic``) are
fitted once per account and their row repeated per seed.

    python -m benchmarks.bench_eval [--models all|a,b] [--accounts all|a,b] [--seeds 1,2,3]
                                    [--out docs/results/eval.json] [--merge] [--features]

``--merge`` keeps rows of (account, model) pairs not re-run from an existing ``--out`` file, so
families can be measured in separate sittings; the file is rewritten after every account. Prints the tables (markdown) and the issue's target
check: ``default`` vs ``markov_recency`` mean NDCG@10 over accounts and seeds, overall and on repeat
targets. Also writes a CSV next to the JSON for plotting elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from benchmarks.common import machine

ROOT = Path(__file__).resolve().parents[1]


def target_check(results: list[dict]) -> dict | None:
    from models.evaluation.report import summarise

    rows = {r["model"]: r for r in summarise(results)}
    if "default" not in rows or "markov_recency" not in rows:
        return None
    d, b = rows["default"], rows["markov_recency"]
    both = {r["account"] for r in results if r["model"] == "default"} & {
        r["account"] for r in results if r["model"] == "markov_recency"
    }
    per_account = {}
    for acc in sorted(both):
        sub = [r for r in results if r["account"] == acc and r["model"] in ("default", "markov_recency")]
        s = {r["model"]: r for r in summarise(sub)}
        per_account[acc] = {
            "default_ndcg@10": s["default"]["ndcg@10"],
            "markov_recency_ndcg@10": s["markov_recency"]["ndcg@10"],
            "default_ndcg@10_repeat": s["default"]["ndcg@10_repeat"],
            "markov_recency_ndcg@10_repeat": s["markov_recency"]["ndcg@10_repeat"],
        }
    return {
        "default_ndcg@10": d["ndcg@10"],
        "markov_recency_ndcg@10": b["ndcg@10"],
        "relative_gain": d["ndcg@10"] / b["ndcg@10"] - 1,
        "default_ndcg@10_repeat": d["ndcg@10_repeat"],
        "markov_recency_ndcg@10_repeat": b["ndcg@10_repeat"],
        "default_hr@10_repeat": d["hr@10_repeat"],
        "markov_recency_hr@10_repeat": b["hr@10_repeat"],
        "target_met": bool(
            d["ndcg@10"] >= 1.10 * b["ndcg@10"] and d["ndcg@10_repeat"] >= b["ndcg@10_repeat"]
        ),
        "per_account": per_account,
    }


def prepare_features(store, account: str, show) -> dict:
    """Feature tables of ../shared matched to ``account`` plus its embeddings, as the app would have
    them after `segue features import`; returns the time taken and the coverage per modality."""
    from benchmarks.common import SHARED
    from core.features.status import feature_status
    from core.jobs import run_job
    from core.store.queries import account_by_name
    from models.features import prepare_account_features, shared_feature_tables

    t0 = time.time()
    run_job(prepare_account_features(store, account, tables=shared_feature_tables(SHARED)), show)
    status = feature_status(store.engine, account_by_name(store.engine, account).id)
    return {"seconds": round(time.time() - t0, 1), "status": status}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="all")
    ap.add_argument("--accounts", default="all")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--out", default=str(ROOT / "docs" / "results" / "eval.json"))
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("--no-isolate", action="store_true")
    ap.add_argument(
        "--features",
        action="store_true",
        help="first import ../shared's feature tables for each account and build its embeddings "
        "(multimodal models otherwise fall back to their ID-only form)",
    )
    ap.add_argument("--report", action="store_true", help="only print the tables of an existing --out file")
    ap.add_argument(
        "--upto",
        type=float,
        default=None,
        help="evaluate on the earliest share of each history (robustness check on another era)",
    )
    args = ap.parse_args()
    if args.report:
        report(json.loads(Path(args.out).read_text(encoding="utf-8")))
        return

    from core.jobs import run_job
    from models.evaluation.datasets import dataset_store, real_listeners
    from models.evaluation.report import to_csv
    from models.evaluation.runner import run_evaluation
    from models.registry import broken_modules, model_names

    store = dataset_store()
    accounts = real_listeners(store) if args.accounts == "all" else args.accounts.split(",")
    models = model_names() if args.models == "all" else args.models.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    started = time.time()

    def show(p) -> None:
        print(f"[{time.time() - started:7.0f}s] {p.done}/{p.total} {p.message}", file=sys.stderr, flush=True)

    out = Path(args.out)
    doc: dict = {"results": [], "errors": []}
    if args.merge and out.exists():
        doc = json.loads(out.read_text(encoding="utf-8"))
    sittings = doc.get("sittings") or ([doc["run"]] if "run" in doc else [])
    for account in accounts:  # saved after every account: a long run keeps what it finished
        if args.features:
            doc.setdefault("features", {})[account] = prepare_features(store, account, show)
        part = run_job(
            run_evaluation(store, [account], models, seeds, isolate=not args.no_isolate, upto=args.upto), show
        )
        redone = {(r["account"], r["model"]) for r in part["results"]} | {
            (e["account"], e["model"]) for e in part["errors"]
        }
        doc["protocol"] = part["protocol"]
        doc["results"] = [r for r in doc["results"] if (r["account"], r["model"]) not in redone] + part[
            "results"
        ]
        doc["errors"] = [e for e in doc["errors"] if (e["account"], e["model"]) not in redone] + part[
            "errors"
        ]
        doc["target"] = target_check(doc["results"])
        doc["run"] = {
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine(),
            "seconds": round(time.time() - started, 1),
            "accounts": accounts,
            "models": models,
            "seeds": seeds,
            "command": "python -m benchmarks.bench_eval " + " ".join(sys.argv[1:]),
            "unavailable_modules": broken_modules(),
            "finished_accounts": accounts[: accounts.index(account) + 1],
        }
        doc["sittings"] = [*sittings, doc["run"]]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        out.with_suffix(".csv").write_text(to_csv(doc["results"]), encoding="utf-8")
    report(doc)
    print(f"wrote {out}")


def report(doc: dict) -> None:
    from models.evaluation.report import METRICS, account_table, markdown_table, summarise

    print(markdown_table(summarise(doc["results"]), ("accounts", "runs", *METRICS)))
    print()
    print(account_table(doc["results"]))
    if doc.get("target"):
        t = doc["target"]
        print(
            f"\ndefault {t['default_ndcg@10']:.4f} vs markov_recency {t['markov_recency_ndcg@10']:.4f} NDCG@10 "
            f"({t['relative_gain']:+.1%}); repeat {t['default_ndcg@10_repeat']:.4f} vs "
            f"{t['markov_recency_ndcg@10_repeat']:.4f}; target met: {t['target_met']}"
        )
    for e in doc["errors"]:
        print(f"error: {e['account']} / {e['model']}: {e['error']}", file=sys.stderr)


if __name__ == "__main__":
    main()
