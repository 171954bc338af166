"""Fine-tune vs full retrain on the biggest real history (issue 13 part 4).

For each model: a *saved* model is fitted on the §8 training span minus its last ``--new-share``
(the plays that "arrive" later), over the item space of those plays only (as the app's saved model
knows only the tracks heard before it), and saved with its meta like ``train_model`` does. Then, on
the whole training span:

- (a) fine-tune: ``models.finetune.plan`` on the saved folder (the decision ``train_model`` makes),
  the saved weights mapped onto today's space by track id, a few epochs on the recent window;
- (b) full retrain: a fresh model fitted on the same span.

Both are measured on the §8 test span (``models.evaluation``: full ranking, previous play excluded):
NDCG@10 / HR@10, wall seconds of each fit, speed-up, relative NDCG difference (bar: within 2%).

    SEGUE_HOME=/tmp/ft-bench OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m benchmarks.bench_finetune \\
        --models gru4rec,multivae --seeds 0

Writes docs/results/finetune.json (and bench-results/finetune.json).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, machine, save

RESULTS = ROOT / "docs" / "results"


def own_space(data, n: int):
    """The first ``n`` plays of ``data`` over the space of the tracks they hold (a saved model's view)."""
    from models.base import ItemSpace, TrainData

    items = data.items[:n]
    used = np.unique(items[items >= 0])
    space = data.space
    sub = ItemSpace(space.track_ids[used], space.artist_of[used], space.artist_ids)
    remap = np.full(len(space), -1, np.int64)
    remap[used] = np.arange(used.size)
    return TrainData(sub, remap[items], data.played_at[:n], data.session[:n], data.seed)


def evaluate(model, seq, start: int, stop: int) -> dict:
    from models.evaluation.harness import rank_targets
    from models.evaluation.metrics import hit_rate, ndcg

    t0 = time.perf_counter()
    run = rank_targets(model, seq.items, seq.played_at, start, stop)
    return {
        "ndcg@10": round(float(ndcg(run.ranks)), 5),
        "hr@10": round(float(hit_rate(run.ranks)), 5),
        "targets": int(run.ranks.size),
        "eval_seconds": round(time.perf_counter() - t0, 1),
    }


def timed_fit(model, data) -> float:
    t0 = time.perf_counter()
    model.fit(data)
    return round(time.perf_counter() - t0, 2)


VARIANTS = {  # fine-tunes tried on each span; the one used on the test span is chosen on validation
    "saved as is": {"epochs": 0, "lr_scale": 1.0},  # (models.finetune: 0 epochs = no training at all)
    "fine-tune lr x1": {"lr_scale": 1.0},  # the product's recipe (early-stopped, FINE_TUNE_EPOCHS at most)
    "fine-tune lr x0.3": {"lr_scale": 0.3},
}


def one(name: str, seq, span: str, new_share: float, seed: int, below: float, params: dict) -> dict:
    """``span``: "test" fits on the §8 training span and scores the test span; "validation" fits on
    the training span's own training part and scores its validation tail (never the test span)."""
    from dataclasses import replace

    from models import finetune
    from models.artefacts import save_model
    from models.evaluation import splits
    from models.registry import create

    test = splits.test_split(len(seq))
    if span == "test":
        end, stop = test.start, len(seq)
    else:
        end, stop = splits.validation_split(test.start).start, test.start
    train = seq.prefix(end, seed)
    n_saved = end - int(round(new_share * end))
    load0 = os.getloadavg()[0]
    saved = create(name, **params)
    saved_seconds = timed_fit(saved, own_space(train, n_saved))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "acct" / name
        meta = {"plays": n_saved, "last_played_at": int(train.played_at[n_saved - 1])}
        save_model(saved, folder, meta)
        how = finetune.plan(folder, name, train.played_at, below)
    assert how.mode == "fine-tune" and how.warm is not None, how.reason
    variants = {}
    for label, spec in VARIANTS.items():
        tuned = create(name, **params)
        tuned.warm = replace(how.warm, **spec)
        seconds = timed_fit(tuned, train)
        tuned.warm = None
        variants[label] = {
            "fit_seconds": seconds,
            **spec,
            **evaluate(tuned, seq, end, stop),
            "fit": _fit_info(tuned),
        }
    full = create(name, **params)
    full_seconds = timed_fit(full, train)
    b = {"fit_seconds": full_seconds, **evaluate(full, seq, end, stop), "fit": _fit_info(full)}
    return {
        "model": name,
        "seed": seed,
        "span": span,
        "train_plays": end,
        "scored": [end, stop],
        "plays_saved_model": n_saved,
        "new_plays": end - n_saved,
        "items_saved_model": int(np.unique(train.items[:n_saved]).size),
        "items_training_span": int(np.unique(train.items).size),
        "saved_fit_seconds": saved_seconds,
        "variants": variants,
        "full": b,
        "load_avg_1m": [round(load0, 2), round(os.getloadavg()[0], 2)],
    }


def _fit_info(model) -> dict:
    info = getattr(model, "fit_info", None) or model.params.get("fit") or {}
    keep = (
        "epochs",
        "epochs_run",
        "best_epoch",
        "stopped",
        "tail_pass",
        "window_plays",
        "new_plays",
        "device",
        "n_vocab",
    )
    return {k: info[k] for k in keep if k in info}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="gru4rec,multivae")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--account", default="", help="default: the biggest real listener")
    ap.add_argument("--new-share", type=float, default=0.02, help="share of the training span that arrives")
    ap.add_argument("--params", default="{}", help="JSON hyper-parameters for every model (smoke runs)")
    ap.add_argument("--tag", default="", help="results go to finetune-TAG.json (default finetune.json)")
    ap.add_argument("--below", type=float, default=0.2, help="fine-tune threshold (the setting's default)")
    args = ap.parse_args()

    from core.store.queries import account_by_name
    from models.data import build_sequence
    from models.evaluation import splits
    from models.evaluation.datasets import dataset_store, real_listeners

    store = dataset_store()
    account = args.account or real_listeners(store)[0]
    seq = build_sequence(store.engine, account_by_name(store.engine, account).id)
    split = splits.test_split(len(seq))
    print(f"{account}: {len(seq):,} plays, {len(seq.space):,} tracks, test from {split.start:,}", flush=True)
    rows: list[dict] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for name in args.models.split(","):
            for span in ("validation", "test"):
                row = one(name, seq, span, args.new_share, seed, args.below, json.loads(args.params))
                print(json.dumps(row), flush=True)
                rows.append(row)
                write(
                    args, account, seq, split, rows
                )  # after every row: a cut-short run keeps what it measured


def write(args, account: str, seq, split, rows: list[dict]) -> None:
    out = {
        "command": "SEGUE_HOME=/tmp/ft-bench OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python -m "
        f"benchmarks.bench_finetune --models {args.models} --seeds {args.seeds} --new-share {args.new_share}"
        + (f" --params '{args.params}'" if args.params != "{}" else "")
        + (f" --tag {args.tag}" if args.tag else ""),
        "account": account,
        "plays": len(seq),
        "tracks": len(seq.space),
        "test_start": split.start,
        "threads": os.environ.get("OMP_NUM_THREADS", "all cores"),
        "summary": summary(rows),
        "results": rows,
    }
    name = f"finetune-{args.tag}" if args.tag else "finetune"
    save(name, out)
    stamp = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine()}
    (RESULTS / f"{name}.json").write_text(json.dumps({**stamp, **out}, indent=2), encoding="utf-8")


def summary(rows: list[dict]) -> dict:
    """Per model and seed: the fine-tune variant chosen on validation, on the test span against the
    full retrain (wall seconds, speed-up, NDCG@10 and its relative difference)."""
    out = {}
    for r in rows:
        if r["span"] != "test":
            continue
        val = [
            v
            for v in rows
            if v["span"] == "validation" and v["model"] == r["model"] and v["seed"] == r["seed"]
        ]
        tuned = [k for k in r["variants"] if k != "saved as is"]
        chosen = max(tuned, key=lambda k: val[0]["variants"][k]["ndcg@10"]) if val else tuned[0]
        a, b = r["variants"][chosen], r["full"]
        rel = (a["ndcg@10"] - b["ndcg@10"]) / b["ndcg@10"] if b["ndcg@10"] else None
        out[f"{r['model']} seed {r['seed']}"] = {
            "chosen_on": "validation" if val else "nothing (no validation run): the first variant",
            "chosen": chosen,
            "fine_tune_seconds": a["fit_seconds"],
            "full_seconds": b["fit_seconds"],
            "speedup": round(b["fit_seconds"] / a["fit_seconds"], 2) if a["fit_seconds"] else None,
            "fine_tune_ndcg@10": a["ndcg@10"],
            "full_ndcg@10": b["ndcg@10"],
            "saved_as_is_ndcg@10": r["variants"]["saved as is"]["ndcg@10"],
            "ndcg_rel_diff": round(rel, 4) if rel is not None else None,
            "within_2pct": rel is not None and abs(rel) <= 0.02,
            "no_worse_than_2pct": rel is not None and rel >= -0.02,
            "full_stopped": b["fit"].get("stopped"),
        }
    return out


if __name__ == "__main__":
    main()
