"""One (account, model) evaluation in a fresh process: ``python -m models.evaluation.worker ...``.

Used by ``runner.run_evaluation(isolate=True)`` so each model's peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import sys

from core.store.engine import open_store
from models.base import ModelError
from models.data import build_sequence
from models.evaluation.runner import _account_id, evaluate_one


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--account", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--seeds", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--upto", type=float, default=None)
    args = p.parse_args(argv)
    store = open_store(args.db, migrate_to_head=False)
    try:
        seq = build_sequence(store.engine, _account_id(store, args.account), upto=args.upto)
        rows = [
            evaluate_one(store, args.account, args.model, int(s), seq=seq, upto=args.upto)
            for s in args.seeds.split(",")
        ]
    except ModelError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        store.dispose()
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(rows, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
