"""Tables from evaluation results: per-model means over accounts and seeds, markdown and plain text,
and a CSV for plotting elsewhere (matplotlib is not a dependency)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import numpy as np

METRICS = (
    "ndcg@10",
    "hr@10",
    "mrr@20",
    "ndcg@10_repeat",
    "ndcg@10_explore",
    "hr@10_repeat",
    "hr@10_explore",
    "coverage@20",
    "train_seconds",
    "peak_rss_mb",
)


def _mean(values: Iterable) -> float | None:
    vals = [float(v) for v in values if isinstance(v, int | float) and v is not None]
    return float(np.mean(vals)) if vals else None


def summarise(results: Sequence[dict], metrics: Sequence[str] = METRICS) -> list[dict]:
    """One row per model: the mean of each metric over accounts and seeds (accounts weigh equally:
    seeds are averaged within an account first), sorted by NDCG@10."""
    by_model: dict[str, dict[str, list[dict]]] = {}
    for r in results:
        by_model.setdefault(r["model"], {}).setdefault(r.get("account", ""), []).append(r)
    rows = []
    for model, accounts in by_model.items():
        row: dict = {
            "model": model,
            "accounts": len(accounts),
            "runs": sum(len(v) for v in accounts.values()),
        }
        for m in metrics:
            per_account = [_mean(r.get(m) for r in rs) for rs in accounts.values()]
            row[m] = _mean(v for v in per_account if v is not None)
        rows.append(row)
    return sorted(rows, key=lambda r: -(r.get("ndcg@10") or 0.0))


def per_account(results: Sequence[dict], metric: str = "ndcg@10") -> tuple[list[str], list[str], dict]:
    """(models, accounts, {(model, account): mean over seeds}) for a model × account table."""
    cells: dict[tuple[str, str], list[float]] = {}
    for r in results:
        if isinstance(r.get(metric), int | float):
            cells.setdefault((r["model"], r.get("account", "")), []).append(float(r[metric]))
    models = sorted({m for m, _ in cells})
    accounts = sorted({a for _, a in cells})
    return models, accounts, {k: float(np.mean(v)) for k, v in cells.items()}


def _fmt(v, metric: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if metric in ("train_seconds",):
        return f"{v:.1f}"
    if metric in ("peak_rss_mb",):
        return f"{v:.0f}"
    return f"{v:.4f}"


def markdown_table(rows: Sequence[dict], columns: Sequence[str], first: str = "model") -> str:
    head = "| " + " | ".join([first, *columns]) + " |"
    sep = "|" + "|".join(["---"] + ["---:"] * len(columns)) + "|"
    body = ["| " + " | ".join([str(r[first]), *(_fmt(r.get(c), c) for c in columns)]) + " |" for r in rows]
    return "\n".join([head, sep, *body])


def text_table(rows: Sequence[dict], columns: Sequence[str], first: str = "model") -> str:
    cells = [[str(r[first]), *(_fmt(r.get(c), c) for c in columns)] for r in rows]
    header = [first, *columns]
    widths = [max(len(x) for x in col) for col in zip(header, *cells, strict=False)]

    def line(vals: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(vals, widths, strict=True))
        )

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(c) for c in cells)])


def account_table(results: Sequence[dict], metric: str = "ndcg@10", markdown: bool = True) -> str:
    models, accounts, cells = per_account(results, metric)
    rows = [{"model": m, **{a: cells.get((m, a)) for a in accounts}} for m in models]
    rows.sort(key=lambda r: -np.nanmean([v for v in r.values() if isinstance(v, float)] or [0.0]))
    return (markdown_table if markdown else text_table)(rows, accounts)


def to_csv(results: Sequence[dict], columns: Sequence[str] = ("account", "model", "seed", *METRICS)) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    w.writeheader()
    for r in results:
        w.writerow(r)
    return out.getvalue()
