"""The Models page's view of ``models/`` (through ``models.api``): what is registered, trained and
evaluated, and the job to evaluate. Model modules that failed to import are reported by
:meth:`ModelsApi.missing`, so the page says honestly what is not available.

Evaluation results come from the harness (``models.evaluation.runner.run_evaluation``, run with
``isolate=True`` so each model trains in its own process) and are kept per account in
``<data folder>/evaluations/<account id>.json``; ``model_run`` rows of kind ``eval`` are shown too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from pathlib import Path

from core import paths
from core.jobs import CancelToken, Progress
from models import api

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
    "n_test",  # how many held-out plays were predicted (the Models page's plain sentence says it)
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
    """Reads and jobs for the Models page; every call goes to ``models.api``."""

    def missing(self) -> list[str]:
        """Model modules that failed to import, as sentences (empty when everything is there)."""
        return [f"{module} ({error})" for module, error in api.unavailable().items()]

    def names(self) -> list[str]:
        return [info.name for info in api.list_models()]

    # -- reads (off the GUI thread) ---------------------------------------------------------
    def overview(self, engine, account_id: int) -> tuple[list[dict], list[dict]]:
        from core.store.paging import model_runs

        runs = model_runs(engine, account_id)
        newest: dict[str, object] = {}  # the newest training run of each model, whatever its outcome
        good: dict[str, object] = {}  # the newest one that succeeded: the model in use
        for r in runs:
            if r.kind == "train":
                newest.setdefault(r.model, r)
                if r.status == "ok":
                    good.setdefault(r.model, r)
        infos = {info.name: info for info in api.list_models()}
        rows = []
        for name in list(infos) + sorted(set(newest) - set(infos)):
            r, ok = newest.get(name), good.get(name)
            info = infos.get(name)
            # a later run that is running or failed does not hide the model that is still in use
            status = r.status if r is not None and r.status != "ok" else ("ready" if ok else "")
            rows.append(
                {
                    "name": name,
                    "description": info.description if info else "",
                    "family": info.family if info else "",
                    "trained_at": (ok.finished_at or ok.started_at) if ok else None,
                    "plays_at_train": ok.plays_at_train if ok else None,
                    "status": status,
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
        doc = yield from api.evaluate(store, [account.name], names, seeds, isolate=True, cancel=cancel)
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
            raise api.ModelError("; ".join(f"{e['model']}: {e['error']}" for e in errors))
        return average(rows)
