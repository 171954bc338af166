"""RecBole 1.2.1 (SASRec, GRU4Rec) as a peer on exactly our splits (docs/architecture.md §7-8).

Two halves, because RecBole lives in its own venv (``benchmarks/recbole_setup.sh``):

- ``python -m benchmarks.recbole_peer [--accounts all] [--models SASRec,GRU4Rec] [--seeds 1] [--epochs 10]``
  (main venv): for each real listener, exports the training span as a RecBole atomic file
  (``user_id:token item_id:token timestamp:float``, one user, dense item indices as tokens) and the
  whole sequence with the test start, then runs the other half once per (account, model, seed) in
  ``.venv-recbole`` and writes docs/results/recbole.json (same row contract as ``segue eval``).
- ``.venv-recbole/bin/python benchmarks/recbole_peer.py run ...`` (RecBole venv): trains on the
  training span only (RecBole's own leave-one-out holds out the last two training plays; no early
  stopping: up to ``--epochs`` epochs, stopping after the epoch that passes ``--budget`` wall seconds,
  like our own neural models' time budgets; full cross-entropy, 50-play windows), then walks the test span
  itself: for each target the window is the 50 known plays before it, scores come from
  ``full_sort_predict`` over every item RecBole knows, the previous play is excluded, ranks are
  pessimistic, tracks RecBole never saw score -inf — the same rules as ``models.evaluation.harness``
  — and the metrics come from ``models.evaluation.metrics`` (pure numpy, imported by path).

Memory: ``ru_maxrss`` of the RecBole child process (it runs nothing else). Config is an explicit dict
with ``sys.argv`` cleared (RecBole's Config parses the command line); each run gets its own
checkpoint folder (RecBole names collide within a second).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_PY = ROOT / ".venv-recbole" / "bin" / "python"
OUT = ROOT / "docs" / "results" / "recbole.json"


# -- main venv: export and drive ---------------------------------------------------------------
def export(store, account: str, folder: Path) -> Path:
    import numpy as np

    from core.store.queries import account_by_name
    from models.data import build_sequence
    from models.evaluation import splits

    seq = build_sequence(store.engine, account_by_name(store.engine, account).id)
    split = splits.test_split(len(seq))
    d = folder / account
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f"{account}.inter", "w", encoding="utf-8") as fh:
        fh.write("user_id:token\titem_id:token\ttimestamp:float\n")
        for i, (item, t) in enumerate(
            zip(seq.items[: split.start].tolist(), seq.played_at[: split.start].tolist(), strict=True)
        ):
            fh.write(f"u\t{item}\t{t + i * 1e-3:.3f}\n")  # strictly increasing: RecBole sorts by time
    np.savez(
        d / "sequence.npz",
        items=seq.items,
        played_at=seq.played_at,
        test_start=split.start,
        n_items=len(seq.space),
    )
    return d


def drive() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", default="all")
    ap.add_argument("--models", default="SASRec,GRU4Rec")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--budget", type=float, default=300.0, help="wall-clock seconds of training per run")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads in the RecBole process (1: measured 4x less CPU than 2 on the busy 2-core box)",
    )
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    if not VENV_PY.exists():
        raise SystemExit("RecBole venv missing: run benchmarks/recbole_setup.sh first")
    from benchmarks.common import machine
    from models.evaluation.datasets import dataset_store, real_listeners

    store = dataset_store()
    accounts = real_listeners(store) if args.accounts == "all" else args.accounts.split(",")
    results, errors = [], []
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="recbole-") as tmp:
        for account in accounts:
            d = export(store, account, Path(tmp))
            for model in args.models.split(","):
                for seed in (int(s) for s in args.seeds.split(",")):
                    print(
                        f"[{time.time() - started:6.0f}s] {account} {model} seed {seed}",
                        file=sys.stderr,
                        flush=True,
                    )
                    out = d / f"{model}-{seed}.json"
                    proc = subprocess.run(
                        [
                            str(VENV_PY),
                            str(Path(__file__).resolve()),
                            "run",
                            "--dir",
                            str(d),
                            "--account",
                            account,
                            "--model",
                            model,
                            "--seed",
                            str(seed),
                            "--epochs",
                            str(args.epochs),
                            "--budget",
                            str(args.budget),
                            "--threads",
                            str(args.threads),
                            "--out",
                            str(out),
                        ],
                        cwd=ROOT,
                        capture_output=True,
                        text=True,
                    )
                    if proc.returncode != 0:
                        errors.append(
                            {
                                "account": account,
                                "model": f"recbole_{model.lower()}",
                                "error": proc.stderr.strip().splitlines()[-1:] or proc.returncode,
                            }
                        )
                        continue
                    results.append(json.loads(out.read_text()))
    doc = {
        "peer": "RecBole 1.2.1 (own venv, benchmarks/recbole_setup.sh)",
        "results": results,
        "errors": errors,
        "run": {
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": machine(),
            "seconds": round(time.time() - started, 1),
            "max_epochs": args.epochs,
            "budget_s": args.budget,
            "torch_threads": args.threads,
            "command": "python -m benchmarks.recbole_peer " + " ".join(sys.argv[1:]),
        },
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=1), encoding="utf-8")
    for r in results:
        print(
            f"{r['account']:12s} {r['model']:16s} ndcg@10 {r['ndcg@10']:.4f} hr@10 {r['hr@10']:.4f} "
            f"repeat {r['ndcg@10_repeat']:.4f} train {r['train_seconds']:.0f}s"
        )
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    print(f"wrote {args.out}")


# -- RecBole venv: train and walk the test span ----------------------------------------------
def run() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--account", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--budget", type=float, default=300.0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sys.argv = sys.argv[:1]  # RecBole's Config parses the command line
    import resource

    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.data.interaction import Interaction
    from recbole.utils import get_model, get_trainer, init_seed

    sys.path.insert(0, str(ROOT))
    from models.evaluation.metrics import rank_of, summarise
    from models.evaluation.splits import repeat_mask

    d = Path(args.dir)
    ckpt = Path(tempfile.mkdtemp(prefix=f"ckpt-{args.model}-{args.seed}-", dir=d))
    config = Config(
        model=args.model,
        dataset=args.account,
        config_dict={
            "data_path": str(d.parent),
            "USER_ID_FIELD": "user_id",
            "ITEM_ID_FIELD": "item_id",
            "TIME_FIELD": "timestamp",
            "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
            "MAX_ITEM_LIST_LENGTH": 50,
            "loss_type": "CE",
            "train_neg_sample_args": None,
            "eval_args": {
                "split": {"LS": "valid_and_test"},
                "order": "TO",
                "mode": "full",
                "group_by": "user",
            },
            "epochs": args.epochs,
            "eval_step": 0,
            "stopping_step": 10_000,
            "train_batch_size": 256,
            "eval_batch_size": 256,
            "learning_rate": 0.001,
            "seed": args.seed,
            "reproducibility": True,
            "device": "cpu",
            "use_gpu": False,
            "show_progress": False,
            "checkpoint_dir": str(ckpt),
            "metrics": ["Recall", "NDCG"],
            "topk": [10],
            "valid_metric": "NDCG@10",
            "log_wandb": False,
            "save_dataset": False,
            "save_dataloaders": False,
        },
    )

    def note(what: str, since: float) -> None:
        print(f"{what}: {time.perf_counter() - since:.1f} s wall", file=sys.stderr, flush=True)

    init_seed(args.seed, True)
    t0 = time.perf_counter()
    dataset = create_dataset(config)
    train_data, valid_data, _test = data_preparation(config, dataset)
    note("dataset", t0)
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    t1 = time.perf_counter()
    epochs = 0
    for epoch in range(args.epochs):  # fit() without validation, under a wall-clock budget
        trainer._train_epoch(train_data, epoch, show_progress=False)
        epochs += 1
        if time.perf_counter() - t1 > args.budget:
            break
    note(f"fit ({epochs} epochs)", t1)
    train_seconds = time.perf_counter() - t0

    seq = np.load(d / "sequence.npz")
    items, start, n_items = seq["items"], int(seq["test_start"]), int(seq["n_items"])
    token_id = dataset.field2token_id["item_id"]
    to_rb = np.zeros(n_items, np.int64)  # 0 = RecBole's padding = unknown
    for tok, rid in token_id.items():
        if tok != "[PAD]":
            to_rb[int(tok)] = rid
    known = np.flatnonzero(to_rb)
    positions = np.arange(start, len(items))
    ranks = np.full(positions.size, np.inf)
    top = np.full((positions.size, 20), -1, np.int64)
    L = 50
    model.eval()
    t2 = time.perf_counter()
    with torch.no_grad():
        for b in range(0, positions.size, 256):
            batch = positions[b : b + 256]
            seqs = np.zeros((batch.size, L), np.int64)
            lens = np.zeros(batch.size, np.int64)
            for j, p in enumerate(batch):
                hist = to_rb[items[max(0, p - 4 * L) : p]]
                hist = hist[hist > 0][-L:]
                seqs[j, : hist.size] = hist
                lens[j] = max(hist.size, 1)
            inter = Interaction(
                {"item_id_list": torch.from_numpy(seqs), "item_length": torch.from_numpy(lens)}
            )
            scores = model.full_sort_predict(inter).view(batch.size, -1).numpy()
            for j, p in enumerate(batch):
                s = np.full(n_items, -np.inf)
                s[known] = scores[j, to_rb[known]]
                s[items[p - 1]] = -np.inf
                ranks[b + j] = rank_of(s, int(items[p]))
                fin = np.isfinite(s)
                cand = np.argsort(-np.where(fin, s, -np.inf), kind="stable")[:20]
                top[b + j, : cand.size] = np.where(fin[cand], cand, -1)
    row = {"account": args.account, "model": f"recbole_{args.model.lower()}", "seed": args.seed}
    row.update(summarise(ranks, repeat_mask(items, positions), top, n_items))
    note("test walk", t2)
    row.update(
        {
            "train_seconds": round(train_seconds, 2),
            "eval_seconds": round(time.perf_counter() - t2, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "n_items": n_items,
            "n_train": start,
            "epochs": epochs,
            "params": {
                "max_len": L,
                "loss": "CE",
                "max_epochs": args.epochs,
                "budget_s": args.budget,
                "torch_threads": args.threads,
                "lr": 0.001,
                "batch": 256,
            },
        }
    )
    Path(args.out).write_text(json.dumps(row), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "run":
        run()
    else:
        drive()
