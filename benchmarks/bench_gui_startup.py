"""Issue 5 figures: time to the first painted window and to the first page's data, with the 75k-play
account in the store; RSS after opening every page.

    python -m benchmarks.bench_gui_startup            # results in bench-results/gui_startup.json
    python -m benchmarks.bench_gui_startup --runs 5
    python -m benchmarks.bench_gui_startup --exe dist/segue/segue --exe dist/Segue-x86_64.AppImage
        # first paint of the venv (python -m app) and of each built executable, side by side, runs
        # interleaved; results in bench-results/gui_startup_exe.json

With ``--exe`` every program is timed the same way, from outside: ``SEGUE_STARTUP_PROBE``
(app/startup_probe.py) makes it write the moment of its main window's first paint and quit.

Each run is a fresh process started the way ``segue`` starts (``app.__main__.main([])``): the clock
starts in the parent just before the process is spawned, so interpreter start-up and imports count.
The child marks the first Paint event the main window receives, then the moment the opening page
(Library & stats) shows the account's numbers, then visits every page, waits for each to finish
loading, and reports its RSS. Runs on the offscreen platform unless QT_QPA_PLATFORM says otherwise
(``xvfb-run`` with QT_QPA_PLATFORM=xcb measures the real X11 path).
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
from pathlib import Path

from benchmarks.common import LISTENING, ROOT, save

SQLITE_75K = LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"

CHILD = r"""
import json, os, sys, time
t_launch = float(os.environ["BENCH_T0"])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
marks = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and "first_paint_s" not in marks and isinstance(obj, QMainWindow):
            marks["first_paint_s"] = time.time() - t_launch
            marks["first_paint_cpu_s"] = time.process_time()  # this process's CPU until then (load-independent)
        return False

app = QApplication(sys.argv[:1])
spy = FirstPaint()
app.installEventFilter(spy)

def watch():
    wins = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
    if not wins or "first_paint_s" not in marks:
        return QTimer.singleShot(5, watch)
    win = wins[0]
    page = win.pages["stats"]
    if "data_shown_s" not in marks:
        if page.report is None or page.loading:
            return QTimer.singleShot(5, watch)
        marks["data_shown_s"] = time.time() - t_launch
        marks["data_shown_cpu_s"] = time.process_time()
        marks["plays_shown"] = page.cards["plays"].value.text()
        QTimer.singleShot(0, lambda: visit(win, list(win.order)))

def visit(win, keys):
    if not keys:
        import psutil
        marks["rss_after_all_pages_mb"] = round(psutil.Process().memory_info().rss / 2**20, 1)
        print(json.dumps(marks))
        sys.stdout.flush()
        win.close()
        app.quit()
        return
    win.show_page(keys[0])
    def wait():
        if win.pages[keys[0]].loading:
            return QTimer.singleShot(10, wait)
        visit(win, keys[1:])
    QTimer.singleShot(10, wait)

QTimer.singleShot(0, watch)
from app.__main__ import main
code = main([])
"""


def build_store(home: Path) -> str:
    from core.jobs import run_job
    from core.settings import Settings
    from core.sources.importing import import_files
    from core.store import open_store

    os.environ["SEGUE_HOME"] = str(home)
    url = f"sqlite:///{home / 'segue.sqlite'}"
    store = open_store(url)
    report = run_job(import_files(store, [SQLITE_75K], "spacedlevo", account_kind="lastfm"))
    store.dispose()
    s = Settings.load()
    s.last_account = "spacedlevo"
    s.demo_imported = True  # not a first run: the account is there
    s.save()
    return str(report.files[0].added)


def run_once(home: Path) -> dict:
    (home / "window.ini").write_text("[General]\npage=stats\n", encoding="utf-8")  # open on Library & stats
    env = dict(os.environ, SEGUE_HOME=str(home), SEGUE_KEYRING="file")
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["BENCH_T0"] = repr(time.time())
    out = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"child failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(lines[-1])


def probe_once(cmd: list[str], home: Path, extra_env: dict[str, str]) -> dict:
    """First paint of ``cmd`` (a Segue program) through the startup probe."""
    (home / "window.ini").write_text("[General]\npage=stats\n", encoding="utf-8")
    out_file = home / "probe.json"
    out_file.unlink(missing_ok=True)
    env = dict(os.environ, SEGUE_HOME=str(home), SEGUE_KEYRING="file", SEGUE_STARTUP_PROBE=str(out_file))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra_env)
    env["BENCH_T0"] = repr(time.time())
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if not out_file.exists():
        raise SystemExit(f"{cmd[0]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out_file.read_text())


def compare_executables(exes: list[str], runs: int) -> dict:
    programs = {"venv (python -m app)": ([sys.executable, "-m", "app"], {})}
    for exe in exes:
        path = str(Path(exe).resolve())
        extra = (
            {"APPIMAGE_EXTRACT_AND_RUN": "1", "NO_CLEANUP": "1"} if os.environ.get("BENCH_EXTRACT") else {}
        )
        programs[Path(exe).name] = ([path], extra if path.endswith(".AppImage") else {})
    with tempfile.TemporaryDirectory(prefix="segue-bench-gui-") as tmp:
        home = Path(tmp)
        plays = build_store(home)
        marks: dict[str, list[dict]] = {name: [] for name in programs}
        for _ in range(runs + 1):  # the first round warms the OS file cache for every program; dropped
            for name, (cmd, extra) in programs.items():
                marks[name].append(probe_once(cmd, home, extra))
    rows = {}
    for name, ms in marks.items():
        warm = ms[1:]
        rows[name] = {
            "first_paint_s": {
                "median": round(statistics.median(m["first_paint_s"] for m in warm), 3),
                "max": round(max(m["first_paint_s"] for m in warm), 3),
                "cold_first_run": ms[0]["first_paint_s"],
            },
            "first_paint_cpu_s": {
                "median": round(statistics.median(m["first_paint_cpu_s"] for m in warm), 3)
            },
            "frozen": ms[0]["frozen"],
        }
    return {
        "platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "account_plays": int(plays),
        "runs": runs,
        "programs": rows,
        "note": "interleaved runs after one warm-up round; wall times include waiting for the CPU (see "
        "machine.load_avg_1m); *_cpu_s is the process's own CPU time up to its first paint",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exe", action="append", default=[], help="a built Segue program to compare")
    args = parser.parse_args(argv)
    if args.exe:
        result = compare_executables(args.exe, args.runs)
        path = save("gui_startup_exe", result)
        print(json.dumps(result, indent=2))
        print(f"saved {path}", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory(prefix="segue-bench-gui-") as tmp:
        home = Path(tmp)
        plays = build_store(home)
        runs = []
        for _ in range(args.runs):
            runs.append(run_once(home))
            # later runs re-open on the stats page with a warm OS file cache, like a second launch
    paint = [r["first_paint_s"] for r in runs]
    paint_cpu = [r["first_paint_cpu_s"] for r in runs]
    data = [r["data_shown_s"] for r in runs]
    result = {
        "platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "account_plays": int(plays),
        "first_paint_s": {
            "median": round(statistics.median(paint), 3),
            "max": round(max(paint), 3),
            "runs": [round(x, 3) for x in paint],
        },
        "first_paint_cpu_s": {"median": round(statistics.median(paint_cpu), 3)},
        "first_page_data_s": {"median": round(statistics.median(data), 3), "max": round(max(data), 3)},
        "note": "wall times include waiting for the CPU: compare with machine.load_avg_1m; *_cpu_s is the "
        "process's own CPU time (user+system) up to that moment",
        "rss_after_all_pages_mb": max(r["rss_after_all_pages_mb"] for r in runs),
        "plays_shown": runs[-1]["plays_shown"],
        "target": "first paint < 2 s",
    }
    path = save("gui_startup", result)
    print(json.dumps(result, indent=2))
    print(f"saved {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
