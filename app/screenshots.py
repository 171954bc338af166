"""``segue gui --screenshots DIR``: render every page with what the store holds, then exit.

Each page is shown in turn, given time to finish its off-thread loads (``Page.loading``), and the
whole window is saved as ``DIR/<page key>.png`` — or, with several sizes (``make screenshots``:
900×600, the window's minimum; 1024×680; 1600×1000), as ``DIR/<page key>-<W>x<H>.png``.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

SIZE = (1280, 820)
SIZES = ((900, 600), (1024, 680), (1600, 1000))  # the smallest window, a small laptop, a large screen
PAGE_TIMEOUT_S = 60.0


def wait_until(predicate, timeout_s: float) -> bool:
    """Process events until ``predicate()`` holds or the time is up (screenshots and tests only)."""
    app = QApplication.instance()
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    return True


def settle(ms: int = 200) -> None:
    wait_until(lambda: False, ms / 1000.0)


def show_loaded(win, key: str) -> None:
    """Show page ``key`` and wait until its off-thread loads are done and it has painted."""
    win.show_page(key)
    page = win.pages[key]
    settle(50)
    wait_until(lambda: not page.loading, PAGE_TIMEOUT_S)
    settle(250)


def render_all(app, out_dir: str | Path, sizes: tuple[tuple[int, int], ...] = (SIZE,)) -> int:
    """Render every page to PNG at each size; returns 0, or 1 when the store could not be opened."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx, win = app.ctx, app.window
    wait_until(lambda: ctx.accounts_ready or ctx.store_error is not None, PAGE_TIMEOUT_S)
    for w, h in sizes:
        win.resize(w, h)
        settle(100)
        for key in list(win.order):
            show_loaded(win, key)
            name = key if len(sizes) == 1 else f"{key}-{w}x{h}"
            win.grab().save(str(out / f"{name}.png"))
    return 1 if ctx.store_error is not None else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m app.screenshots OUT [--theme light|dark] [--db URL]``: render every page.

    Without ``--db`` the bundled demo history is imported into a throwaway data folder first (what
    ``make screenshots`` shows). Runs on whatever Qt platform is set (xcb under Xvfb, or offscreen).
    """
    import argparse
    import os
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m app.screenshots")
    parser.add_argument("out")
    parser.add_argument("--theme", choices=["light", "dark", "system"], default="light")
    parser.add_argument("--db", default=None)
    parser.add_argument(
        "--sizes",
        default=",".join(f"{w}x{h}" for w, h in SIZES),
        help="window sizes, comma-separated WxH (default: %(default)s)",
    )
    parser.add_argument(
        "--train",
        action="store_true",
        help="train the default model on the demo first (so the "
        "Suggestions page shows suggestions, as it does once the first-run training is done)",
    )
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="segue-shots-")
    os.environ["SEGUE_HOME"] = home
    os.environ.setdefault("SEGUE_KEYRING", "file")
    from core.settings import Settings

    settings = Settings.load()
    settings.theme = args.theme
    settings.save()
    db = args.db
    if db is None:
        from app import demo
        from core.jobs import run_job
        from core.store import open_store

        db = f"sqlite:///{home}/segue.sqlite"
        store = open_store(db)
        run_job(demo.import_demo(store))
        if args.train:
            from models import api

            run_job(api.train(store, demo.DEMO_ACCOUNT, "default"))
        store.dispose()
    from app.main import build, shutdown

    sizes = tuple(tuple(int(v) for v in part.lower().split("x")) for part in args.sizes.split(",") if part)
    app = build(db, first_run_demo=False, background=False)
    code = render_all(app, args.out, sizes)
    shutdown(app)
    return code


if __name__ == "__main__":
    import sys

    sys.exit(main())
