"""The Models page's view of ``models/``: what is registered, trained and evaluated, and the jobs to
train and evaluate. Parts of ``models/`` that are not installed are reported by :meth:`missing`
instead of failing, so the page says honestly what is not available.

Evaluation results come from the harness (``models.evaluation.runner.run_evaluation``, run with
``isolate=True`` so each model trains in its own process) and are kept per account in
``<data folder>/evaluations/<account id>.json``; ``model_run`` rows of kind ``eval`` are shown too.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Generator
from pathlib import Path

from core import paths
from core.jobs import CancelToken, Progress

METRICS = (
    "hr@10",
    "ndcg@10",
    "mrr@20",
    "hr@10_repeat",
    "hr@10_explore",
    "ndcg@10_repeat",
    "ndcg@10_explore",
    "coverage@20",
    "train_seconds",
    "peak_rss_mb",
)
COMPARE = (
    "default",
    "markov_recency",
    "markov",
    "recency_pop",
    "recency_popularity",
    "pop",
    "popularity",
    "sknn",
)


def _probe(module: str, attr: str):
    try:
        return getattr(importlib.import_module(module), attr, None)
    except Exception:  # noqa: BLE001 - an absent or half-written module means "not available"
        return None


def evaluations_file(account_id: int) -> Path:
    return paths.subdir("evaluations") / f"{account_id}.json"


def average(rows: list[dict]) -> list[dict]:
    """Mean of each metric over seeds, one row per model (``seeds`` = how many runs)."""
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["model"], []).append(r)
    out = []
    for model, rs in by.items():
        row: dict = {"model": model, "seeds": len(rs)}
        for m in METRICS:
            vals = [r[m] for r in rs if isinstance(r.get(m), int | float)]
            row[m] = sum(vals) / len(vals) if vals else None
        out.append(row)
    return sorted(out, key=lambda r: -(r.get("ndcg@10") or 0))


class ModelsApi:
    """Probes ``models`` lazily (``probe`` runs in a job: importing models may pull in torch)."""

    def __init__(self) -> None:
        self.train_fn = self.evaluate_fn = self.registry = None
        self.probed = False

    def probe(self) -> None:
        if not self.probed:
            self.train_fn = _probe("models.training", "train_model")
            self.evaluate_fn = _probe("models.evaluation.runner", "run_evaluation")
            self.registry = _probe("models.registry", "model_names")
            self.probed = True

    @property
    def can_train(self) -> bool:
        return self.train_fn is not None

    @property
    def can_evaluate(self) -> bool:
        return self.evaluate_fn is not None

    def missing(self) -> list[str]:
        out = []
        if self.registry is None:
            out.append("the model registry")
        if self.train_fn is None:
            out.append("training from the app (models.training)")
        if self.evaluate_fn is None:
            out.append("the evaluation harness (models.evaluation)")
        return out

    def names(self) -> list[str]:
        try:
            return list(self.registry()) if self.registry else []
        except Exception:  # noqa: BLE001
            return []

    def describe(self, name: str) -> dict:
        try:
            from models.registry import get_model_class

            k = get_model_class(name)
            return {"description": k.description, "family": k.family}
        except Exception:  # noqa: BLE001
            return {"description": "", "family": ""}

    # -- reads (off the GUI thread) ---------------------------------------------------------
    def overview(self, engine, account_id: int) -> tuple[list[dict], list[dict]]:
        from core.store.paging import model_runs

        self.probe()
        runs = model_runs(engine, account_id)
        trained: dict[str, object] = {}
        for r in runs:
            if r.kind == "train" and r.model not in trained:
                trained[r.model] = r
        names = self.names()
        rows = []
        for name in names + sorted(set(trained) - set(names)):
            r = trained.get(name)
            ok = r is not None and r.status == "ok"
            rows.append(
                {
                    "name": name,
                    **self.describe(name),
                    "trained_at": (r.finished_at or r.started_at) if ok else None,
                    "plays_at_train": r.plays_at_train if ok else None,
                    "status": r.status if r is not None and r.status != "ok" else ("ready" if ok else ""),
                }
            )
        rows.sort(key=lambda r: (r["name"] != "default", r["trained_at"] is None, r["name"]))
        evals = [dict(r.metrics, model=r.model) for r in runs if r.kind == "eval" and r.metrics]
        f = evaluations_file(account_id)
        if f.exists():
            try:
                evals.extend(json.loads(f.read_text(encoding="utf-8")).get("results", []))
            except (OSError, ValueError):
                pass
        return rows, average(evals)

    def eval_models(self, choice: str, selected: str | None) -> list[str]:
        names = self.names()
        if choice == "selected" and selected:
            return [selected]
        if choice == "all":
            return names
        picked = [n for n in COMPARE if n in names]
        return picked or names[:3]

    # -- jobs -------------------------------------------------------------------------------
    def evaluate(
        self, store, account, names: list[str], cancel: CancelToken, seeds: tuple[int, ...] = (1,)
    ) -> Generator[Progress, None, list[dict]]:
        doc = yield from self.evaluate_fn(store, [account.name], names, seeds, isolate=True, cancel=cancel)
        rows = [r for r in doc.get("results", []) if r.get("account", account.name) == account.name]
        f = evaluations_file(account.id)
        old: list[dict] = []
        if f.exists():
            try:
                old = [
                    r
                    for r in json.loads(f.read_text(encoding="utf-8")).get("results", [])
                    if r.get("model") not in set(names)
                ]
            except (OSError, ValueError):
                old = []
        f.write_text(
            json.dumps({"saved_at": int(time.time()), "results": old + rows}, indent=1), encoding="utf-8"
        )
        errors = doc.get("errors") or []
        if errors and not rows:
            from models.base import ModelError

            raise ModelError("; ".join(f"{e['model']}: {e['error']}" for e in errors))
        return average(rows)
