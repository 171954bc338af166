"""Issue 5 figure: the GUI thread's longest stall while a sync, an import and a training run go on in the
background, with the 75k-play account in the store.

    python -m benchmarks.bench_gui_stall                 # results in bench-results/gui_stall.json
    python -m benchmarks.bench_gui_stall --seconds 60

How: the app is built as ``segue`` builds it (offscreen unless QT_QPA_PLATFORM says otherwise), every
page is opened once, then three jobs start through the app's own job adapter, the way the pages start
them — a Last.fm sync of a 75k-play user from the fake Last.fm server (its own process, 4 requests/s
like the real service allows), an import of a real Spotify export (54k rows), and a training run of
``default`` (the ``train`` job, isolated in a child process as the Models page runs it) —
while the window switches page every 0.7 s. A 5 ms precise QTimer heartbeat records every gap between
ticks; a stall is a gap minus the 5 ms period, and the GUI thread's own CPU time inside each gap tells
the app's work from waiting for a core (the machine is shared). The jobs are cancelled after ``--seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.common import LISTENING, ROOT, save

SQLITE_75K = LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"
SPOTIFY = LISTENING / "spotify" / "jonas-mika-basic"
PERIOD_MS = 5


def start_fake_lastfm() -> tuple[subprocess.Popen, str, str, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "fakes" / "lastfm_server.py"),
            "--sqlite",
            str(SQLITE_75K),
            "--user",
            "benchuser",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    parts = dict(p.split("=", 1) for p in line.split() if "=" in p)
    root = line.split("API root ", 1)[1].split()[0]
    return proc, root, parts["api_key"], parts["secret"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument(
        "--jobs",
        default="sync,import,train",
        help="which background jobs to run (comma list; 'none' measures page switching alone)",
    )
    parser.add_argument("--switch-interval", type=float, default=None, help="sys.setswitchinterval (s)")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="segue-bench-stall-")
    os.environ.update(SEGUE_HOME=tmp, SEGUE_KEYRING="file")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    fake, root, key, secret = start_fake_lastfm()
    os.environ.update(SEGUE_LASTFM_API_KEY=key, SEGUE_LASTFM_API_SECRET=secret, SEGUE_LASTFM_API_ROOT=root)
    try:
        return run(args, tmp)
    finally:
        fake.terminate()
        fake.wait(10)


def run(args, tmp: str) -> int:
    from PySide6.QtCore import Qt, QTimer

    from app.main import build, shutdown
    from app.screenshots import wait_until
    from core.jobs import run_job
    from core.settings import Settings
    from core.sources.importing import import_files
    from core.store import open_store

    url = f"sqlite:///{tmp}/segue.sqlite"
    store = open_store(url)
    run_job(import_files(store, [SQLITE_75K], "spacedlevo"))
    store.dispose()
    s = Settings.load()
    s.last_account = "spacedlevo"
    s.demo_imported = True
    s.save()

    app = build(url, first_run_demo=False, background=False)
    ctx, win = app.ctx, app.window
    wait_until(lambda: ctx.accounts_ready, 60)
    for key in win.order:  # build and load every page first: page construction is not what we measure
        win.show_page(key)
        wait_until(lambda k=key: not win.pages[k].loading, 120)
    acc = ctx.account

    gaps: list[float] = []
    busy: list[float] = []  # GUI-thread CPU spent inside each gap: work the app itself did there
    last = [time.perf_counter(), time.thread_time()]

    import gc

    collections: list[tuple[int, float]] = []  # (generation, ms) of every cyclic GC pass in this process
    gc_start = [0.0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            collections.append((info["generation"], (time.perf_counter() - gc_start[0]) * 1000.0))

    gc.callbacks.append(on_gc)
    worst: list[dict] = []  # every gap over 50 ms: when, on which page, how much was the GUI thread's own

    def tick() -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gap, own = (now - last[0]) * 1000.0, (cpu - last[1]) * 1000.0
        gaps.append(gap)
        busy.append(own)
        if gap - PERIOD_MS > 50:
            worst.append(
                {
                    "at_s": round(now - t0, 2),
                    "stall_ms": round(gap - PERIOD_MS, 1),
                    "gui_cpu_ms": round(own, 1),
                    "page": keys[step[0] % len(keys)],
                }
            )
        last[0], last[1] = now, cpu

    t0 = time.perf_counter()
    keys = list(win.order)
    step = [0]
    beat = QTimer()
    beat.setTimerType(Qt.TimerType.PreciseTimer)
    beat.timeout.connect(tick)
    beat.start(PERIOD_MS)
    cycle = QTimer()

    def next_page() -> None:
        step[0] += 1
        win.show_page(keys[step[0] % len(keys)])

    cycle.timeout.connect(next_page)
    cycle.start(700)

    accounts = win.pages["accounts"]
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    wanted = set(args.jobs.split(","))
    t0 = time.perf_counter()
    handles = {}
    if "sync" in wanted:
        handles["sync"] = accounts.sync_account("benchuser", "benchuser")
    if "import" in wanted:
        handles["import"] = accounts.import_paths([str(SPOTIFY)], account="jonas")
    if "train" in wanted:
        handles["train"] = ctx.start("train", "Training", account=acc.name, model="default")
    progress = {k: [] for k in handles}
    for k, h in handles.items():
        h.progress.connect(lambda p, k=k: progress[k].append(p.done))
    wait_until(
        lambda: (
            time.perf_counter() - t0 > args.seconds
            or (handles and not any(h.active for h in handles.values()))
        ),
        args.seconds + 30,
    )
    elapsed = time.perf_counter() - t0
    states = {k: h.state for k, h in handles.items()}
    for h in handles.values():
        h.cancel()
    wait_until(lambda: not any(h.active for h in handles.values()), 60)
    beat.stop()
    cycle.stop()
    import psutil

    rss = psutil.Process().memory_info().rss / 2**20
    shutdown(app)
    stalls = sorted(max(0.0, g - PERIOD_MS) for g in gaps[1:])
    result = {
        "platform": os.environ.get("QT_QPA_PLATFORM"),
        "jobs": sorted(wanted),
        "switch_interval_s": sys.getswitchinterval(),
        "seconds_measured": round(elapsed, 1),
        "heartbeats": len(gaps),
        "longest_stall_ms": round(stalls[-1], 1) if stalls else None,
        "p99_stall_ms": round(stalls[int(len(stalls) * 0.99)], 1) if stalls else None,
        "median_gap_ms": round(statistics.median(gaps), 2) if gaps else None,
        "stalls_over_100ms": sum(1 for x in stalls if x > 100),
        "stalls_over_50ms": sum(1 for x in stalls if x > 50),
        "stalls_over_50ms_detail": worst,
        "gc_passes": len(collections),
        "longest_gc_ms": round(max((ms for _, ms in collections), default=0.0), 1),
        "gc_passes_over_50ms": [(g, round(ms, 1)) for g, ms in collections if ms > 50],
        "longest_gui_thread_busy_ms": round(max(busy[1:]), 1) if len(busy) > 1 else None,
        "gui_busy_over_100ms": sum(1 for x in busy[1:] if x > 100),
        "note": "a stall is wall time between 5 ms heartbeats; *_busy_* is the GUI thread's own CPU inside "
        "one gap (the rest of a stall is waiting for a core or the GIL: compare machine.load_avg_1m)",
        "jobs_state_at_end_of_window": states,
        "progress_events": {k: len(v) for k, v in progress.items()},
        "rss_mb_at_end": round(rss, 1),
        "target": "no GUI-thread stall over 100 ms",
    }
    path = save("gui_stall", result)
    print(json.dumps(result, indent=2))
    print(f"saved {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
