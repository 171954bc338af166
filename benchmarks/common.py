"""Shared helpers for benchmarks: paths to the real data, peak-RSS of a child process, result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SEGUE_SHARED", ROOT.parent / "shared"))
LISTENING = SHARED / "data" / "listening"
RESULTS = ROOT / "bench-results"


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(args: list[str], env: dict | None = None) -> dict:
    """Run ``python -m benchmarks...`` in a fresh process (so its peak memory is its own); returns the
    JSON object it prints last."""
    out = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"child failed: {' '.join(args)}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(), **data}
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def fit_on_training_span(store, account: str, model_name: str = "default"):
    """(account info, its play sequence, the §8 test split, ``model_name`` fitted on the training
    span, fit seconds): where the benchmarks that walk the test span themselves start."""
    from core.store.queries import account_by_name
    from models.data import build_sequence
    from models.evaluation import splits
    from models.registry import create

    info = account_by_name(store.engine, account)
    seq = build_sequence(store.engine, info.id)
    split = splits.test_split(len(seq))
    model = create(model_name)
    t0 = time.perf_counter()
    model.fit(seq.prefix(split.start))
    return info, seq, split, model, time.perf_counter() - t0
