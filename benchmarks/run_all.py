"""`make bench`: every figure the issues name, one benchmark after another (never in parallel: the
figures are wall times on a shared 2-core machine). Each writes its own file under bench-results/.

    python -m benchmarks.run_all                 # the quick set (about 20 minutes on 2 cores)
    python -m benchmarks.run_all --only foundation,default
    python -m benchmarks.run_all --list

The long evaluations (`bench_eval`: hours; `bench_controls`, `study_predictability`, `recbole_peer`)
are listed but only run when named with --only.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from benchmarks.common import ROOT

QUICK = {
    "foundation": ["-m", "benchmarks.bench_foundation"],
    "foundation_engines": [
        "-m",
        "benchmarks.bench_foundation",
        "--engines",
        "sqlite,postgresql",
        "--no-sync",
    ],
    "hostile": ["-m", "benchmarks.bench_hostile"],
    "default": ["-m", "benchmarks.bench_default", "--account", "spacedlevo", "--runs", "2", "--calls", "200"],
    "features_coverage": ["-m", "benchmarks.bench_features_coverage"],
    "features_text": ["-m", "benchmarks.bench_features_text"],
    "features_w2v": ["-m", "benchmarks.bench_features_w2v"],
    "features_vae": ["-m", "benchmarks.bench_features_vae"],
    "feature_backlog": ["-m", "benchmarks.bench_feature_backlog"],
    "gui_startup": ["-m", "benchmarks.bench_gui_startup"],
    "gui_stall": ["-m", "benchmarks.bench_gui_stall"],
}
LONG = {
    "eval": ["-m", "benchmarks.bench_eval"],
    "controls": ["-m", "benchmarks.bench_controls"],
    "study": ["-m", "benchmarks.study_predictability"],
    "recbole": ["-m", "benchmarks.recbole_peer"],
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="", help="comma-separated names (see --list)")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for name, cmd in {**QUICK, **LONG}.items():
            print(f"{name:18} {'quick' if name in QUICK else 'long '}  python {' '.join(cmd)}")
        return 0
    every = {**QUICK, **LONG}
    names = [n for n in args.only.split(",") if n] or list(QUICK)
    unknown = [n for n in names if n not in every]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.time()
        if subprocess.run([sys.executable, *every[name]], cwd=ROOT, check=False).returncode != 0:
            failed.append(name)
        print(f"== {name}: {time.time() - t0:.0f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
