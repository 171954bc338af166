"""Every page at 900×600 (the window's minimum), 1024×680 and 1600×1000, light and dark, through the real
xcb platform and fonts under Xvfb: no elided text in fixed columns, no sideways scroll bar on a page,
no widget past the window or its viewport (``layout_probe.py`` says what it checks).

The test starts its own Xvfb and renders in a child process (this process's Qt runs offscreen); it
skips with the reason when Xvfb or Qt's xcb libraries are missing (``make test`` installs them on
Debian, as ``make screenshots`` does).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.conftest import ROOT

PROBE = Path(__file__).with_name("layout_probe.py")


def _free_display() -> int:
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    pytest.skip("no free X display number for Xvfb")


@pytest.fixture(scope="module")
def xvfb():
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.skip("Xvfb is not installed (Debian: apt-get install xvfb; `make test` does it)")
    n = _free_display()
    proc = subprocess.Popen(
        [exe, f":{n}", "-screen", "0", "1700x1100x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    yield f":{n}"
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.slow
def test_every_page_fits_at_every_size_in_both_themes(xvfb, store_url, tmp_path):
    from core.insights import consent
    from core.store import open_store
    from core.store.queries import account_by_name

    store = open_store(store_url)
    consent.enable(store, account_by_name(store.engine, "dudu").id)  # the Insights cards are drawn too
    store.dispose()
    out = tmp_path / "layout.json"
    env = {
        **os.environ,
        "DISPLAY": xvfb,
        "QT_QPA_PLATFORM": "xcb",
        "SEGUE_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
    }
    shots = os.environ.get("SEGUE_LAYOUT_SHOTS", "")
    cmd = [sys.executable, str(PROBE), store_url, "dudu", str(out)] + (["--shots", shots] if shots else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "xcb" in proc.stderr and "could not" in proc.stderr.lower():
        pytest.skip(f"Qt's xcb platform cannot start here: {proc.stderr.strip()[-300:]}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report) == 2 * 3 * (len({k.split()[2] for k in report}) + 1)  # + the History tab
    faults = {view: found for view, found in report.items() if found}
    assert not faults, json.dumps(faults, indent=1, ensure_ascii=False)
