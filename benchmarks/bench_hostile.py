"""Issue 15 figures: every hostile input through the real ``segue import`` in a child process — its
exit code, its message, its wall time and the child's peak memory (``wait4``'s ru_maxrss) — and
whether the store was left unchanged.

    python -m benchmarks.bench_hostile            # everything; results in bench-results/hostile.json
    python -m benchmarks.bench_hostile --quick    # without the 2 GB zip bomb, the 200 MB JSON and the
                                                  # 2,000-member zip timing
The inputs are built in a temporary folder from the real exports in ../shared. The full-disk case
mounts a small tmpfs and needs root (it is reported as not run otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from benchmarks.common import LISTENING, ROOT, save

ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"
BASIC = LISTENING / "spotify" / "jonas-mika-basic" / "StreamingHistory5.json"
SQLITE_75K = LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"
EXTENDED = (
    ROOT.parent
    / "shared"
    / "fixtures"
    / "api"
    / "koito-test-assets"
    / "Streaming_History_Audio_spotify_import_test.json"
)


TRAMPOLINE = """
import json, os, subprocess, sys, threading
cmd, out, err, stdin = json.loads(sys.argv[1])
with open(out, "w") as o, open(err, "w") as e, open(stdin or os.devnull, "rb") as i:
    proc = subprocess.Popen(cmd, stdin=i, stdout=o, stderr=e)
    timer = threading.Timer(900, proc.kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
print(json.dumps({"exit": os.waitstatus_to_exitcode(status), "maxrss_kib": usage.ru_maxrss}))
"""


def segue(
    args: list[str], home: Path, db: str, *, shell: str | None = None, stdin: Path | None = None
) -> dict:
    """Run ``segue --db DB ARGS`` (or a bash command line with SEGUE in it) and measure that child.

    It is started by a small trampoline process and measured with ``wait4``: a child forked from this
    (larger) process would start with this process's resident pages on its peak-RSS counter.
    The home's settings turn ``train_automatically`` off: what is measured is the import, not the
    training of ``default`` that a real import goes on to (``bench_default`` measures that)."""
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "settings.json"
    if not settings.exists():
        settings.write_text(json.dumps({"train_automatically": False}), encoding="utf-8")
    env = dict(os.environ, SEGUE_HOME=str(home))
    cmd = [sys.executable, "-m", "app", "--db", db, *args]
    if shell is not None:
        cmd = ["bash", "-c", shell.replace("SEGUE", f"{sys.executable} -m app --db {db}")]
    with tempfile.TemporaryDirectory() as d:
        out, err = Path(d) / "out", Path(d) / "err"
        start = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-c", TRAMPOLINE, json.dumps([cmd, str(out), str(err), str(stdin or "")])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - start
        measured = json.loads(run.stdout)
        return {
            "exit": measured["exit"],
            "seconds": round(seconds, 2),
            "peak_rss_mb": round(measured["maxrss_kib"] / 1024, 1),
            "stderr": err.read_text(errors="replace").strip(),
            "stdout": out.read_text(errors="replace").strip()[-2000:],
        }


def plays(home: Path, db: str, account: str) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "app", "--db", db, "accounts", "--json"],
        cwd=ROOT,
        env=dict(os.environ, SEGUE_HOME=str(home)),
        capture_output=True,
        text=True,
    )
    rows = json.loads(out.stdout or '{"accounts": []}')["accounts"]
    return sum(a["plays"] for a in rows if a["name"] == account)


# -- the inputs ------------------------------------------------------------------------------------
def deep_json(path: Path, depth: int = 100_000) -> Path:
    items = json.loads(EXTENDED.read_text(encoding="utf-8"))[:2]
    path.write_text(json.dumps(items)[:-1] + ', {"ts": ' + "[" * depth + "]" * depth + "}]", encoding="utf-8")
    return path


def big_field(path: Path) -> Path:
    lines = ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)[:20]
    lines[5] = lines[5].replace('"Roy Harper"', '"' + "R" * (17 << 20) + '"', 1)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def no_line_breaks(path: Path, mib: int = 64) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n")
        chunk = "x" * (1 << 20)
        for _ in range(mib):
            fh.write(chunk)
    return path


def zip_bomb(path: Path, megabytes: int) -> Path:
    item = json.dumps(json.loads(BASIC.read_text(encoding="utf-8"))[0])
    chunk = (("," + item) * 4096).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("StreamingHistory0.json", "w", force_zip64=True) as fh:
            fh.write(("[" + item).encode())
            written = 0
            while written < megabytes << 20:
                fh.write(chunk)
                written += len(chunk)
            fh.write(b"]")
    return path


def many_members(path: Path, n: int, rows_each: int = 0) -> Path:
    lines = ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            body = "".join(lines[1 + (i * rows_each) % 6000 : 1 + (i * rows_each) % 6000 + rows_each])
            zf.writestr(f"part{i:05}.csv", (lines[0] + body) if rows_each else b"")
    return path


def escaping_names(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../etc/scrobbles.csv", ALEEX.read_bytes())
        zf.writestr("history/scrobbles.csv", ALEEX.read_bytes())
    return path


def big_valid_json(path: Path, megabytes: int) -> Path:
    """A valid Spotify extended history of ``megabytes`` MB: the real items repeated, a day apart."""
    items = json.loads(EXTENDED.read_text(encoding="utf-8"))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        written, n = 0, 0
        while written < megabytes << 20:
            for it in items:
                day = n // len(items)
                copy = dict(
                    it,
                    ts=f"20{10 + day // 365 % 15:02}-{1 + day // 28 % 12:02}-{1 + day % 28:02}"
                    + it["ts"][10:],
                )
                text = ("," if n else "") + json.dumps(copy)
                fh.write(text)
                written += len(text)
                n += 1
        fh.write("]")
    return path


def measure(name: str, run, check=None) -> dict:
    print(f"- {name} …", flush=True)
    r = run()
    if check:
        r.update(check())
    print(f"  exit {r['exit']}, {r['seconds']} s, {r['peak_rss_mb']} MB: {r['stderr'][:160]}", flush=True)
    return {"case": name, **r}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="segue-hostile-") as d:
        tmp = Path(d)
        n = iter(range(1000))

        def fresh():
            i = next(n)
            home = tmp / f"home{i}"
            return home, f"sqlite:///{tmp / f'store{i}.sqlite'}"

        def case(name, make_args, account="a", shell=None, stdin_path=None, baseline=True):
            home, db = fresh()
            if baseline:
                segue(["import", str(ALEEX), "--account", account], home, db)
            before = plays(home, db, account)

            def run():
                return segue(make_args() if make_args else [], home, db, shell=shell, stdin=stdin_path)

            def check():
                after = plays(home, db, account)
                return {"plays_before": before, "plays_after": after}

            results.append(measure(name, run, check))

        fifo = tmp / "fifo.csv"
        os.mkfifo(fifo)
        case("a FIFO nobody writes to", lambda: ["import", str(fifo), "--account", "a"])
        folder = tmp / "with-fifo"
        folder.mkdir()
        os.mkfifo(folder / "pipe.csv")
        shutil.copy(ALEEX, folder / "scrobbles.csv")
        case(
            "a folder with a FIFO and a good file",
            lambda: ["import", str(folder), "--account", "b"],
            account="b",
            baseline=False,
        )
        deep = deep_json(tmp / "Streaming_History_Audio_2025.json")
        case("JSON nested 100,000 deep", lambda: ["import", str(deep), "--account", "a"])
        mixed = tmp / "crash-then-good"
        mixed.mkdir()
        deep_json(mixed / "a_Streaming_History_Audio_2025.json")
        shutil.copy(ALEEX, mixed / "b_scrobbles.csv")
        case(
            "a folder: deep JSON first, a good file after",
            lambda: ["import", str(mixed), "--account", "m"],
            account="m",
            baseline=False,
        )
        field = big_field(tmp / "big_field.csv")
        case("a CSV field over 16 MiB", lambda: ["import", str(field), "--account", "a"])
        flat = no_line_breaks(tmp / "no_breaks.csv")
        case("a 64 MiB CSV without line breaks", lambda: ["import", str(flat), "--account", "a"])
        many = many_members(tmp / "20k.zip", 20_000)
        case("a zip of 20,000 members", lambda: ["import", str(many), "--account", "a"])
        esc = escaping_names(tmp / "escape.zip")
        case(
            "a zip member named ../../etc/scrobbles.csv",
            lambda: ["import", str(esc), "--account", "e"],
            account="e",
            baseline=False,
        )
        notes = tmp / "nothing"
        notes.mkdir()
        for i in range(102):
            (notes / f"{i:03}.txt").write_text("shopping list\nmilk\n", encoding="utf-8")
        case(
            "a folder of 102 files none of which is a history",
            lambda: ["import", str(notes), "--account", "a"],
        )
        case(
            "/dev/stdin redirected from a file",
            lambda: ["import", "/dev/stdin", "--account", "s"],
            account="s",
            stdin_path=ALEEX,
            baseline=False,
        )
        case(
            "<(cat file) (bash process substitution)",
            None,
            account="p",
            shell=f'SEGUE import <(cat "{ALEEX}") --account p',
            baseline=False,
        )
        case(
            "an account name of 250 characters",
            lambda: ["import", str(ALEEX), "--account", "n" * 250],
            account="n" * 250,
            baseline=False,
        )
        escapes = tmp / "escapes.csv"
        rows = ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)[:40]
        escapes.write_text(
            "".join([rows[0]] + [r.replace('"Roy Harper"', '"Roy \x1b[31mHarper\x07"') for r in rows[1:]]),
            encoding="utf-8",
        )
        home, db = fresh()
        segue(["import", str(escapes), "--account", "esc"], home, db)
        r = measure(
            "stats on names with terminal escapes", lambda: segue(["stats", "--account", "esc"], home, db)
        )
        r["raw_escape_in_output"] = "\x1b" in r["stdout"]
        results.append(r)
        results.append(full_disk(tmp))
        if not args.quick:
            bomb = zip_bomb(tmp / "my_spotify_data.zip", 2048)
            print(f"  (the 2 GB bomb zips to {bomb.stat().st_size / 1e6:.1f} MB)")
            case("a 2 GB JSON inside a small zip", lambda: ["import", str(bomb), "--account", "a"])
            big = big_valid_json(tmp / "Streaming_History_Audio_big.json", 200)
            case(
                "a valid 200 MB Spotify extended JSON",
                lambda: ["import", str(big), "--account", "big"],
                account="big",
                baseline=False,
            )
            results += zip_versus_folder(tmp, fresh)
    for r in results:
        r["stderr"] = r["stderr"][-600:]
    print(f"saved {save('hostile', {'cases': results})}")
    print_table(results)


def full_disk(tmp: Path) -> dict:
    """The 75k import into a store on a 6 MB tmpfs (its home and logs there too)."""
    mount = tmp / "small-disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)]).returncode
    ):
        return {"case": "a full disk", "exit": None, "stderr": "not run (needs root to mount a tmpfs)"}
    try:
        home, db = mount / "home", f"sqlite:///{mount / 'store.sqlite'}"
        r = measure(
            "a full disk (store on a 6 MB tmpfs)",
            lambda: segue(["import", str(SQLITE_75K), "--account", "a"], home, db),
        )
        r["plays_before"], r["plays_after"] = 0, plays(home, db, "a")
        return r
    finally:
        subprocess.run(["umount", str(mount)])


def zip_versus_folder(tmp: Path, fresh) -> list[dict]:
    z = many_members(tmp / "2000.zip", 2000, rows_each=20)
    folder = tmp / "2000"
    with zipfile.ZipFile(z) as zf:
        zf.extractall(folder)
    out = []
    for label, path in (("2,000 members as a zip", z), ("the same 2,000 files as a folder", folder)):
        home, db = fresh()
        out.append(
            measure(
                label,
                lambda path=path, home=home, db=db: segue(["import", str(path), "--account", "z"], home, db),
            )
        )
    return out


def print_table(results: list[dict]) -> None:
    print("\n| Input | Exit | Message (stderr) | Peak RSS | Time | Store |")
    print("|---|---|---|---|---|---|")
    for r in results:
        msg = (r.get("stderr") or "").replace("\n", " ").replace("|", "\\|")[:220]
        store = ""
        if "plays_before" in r:
            store = (
                "unchanged"
                if r["plays_before"] == r["plays_after"]
                else f"{r['plays_before']} → {r['plays_after']} plays"
            )
        print(
            f"| {r['case']} | {r.get('exit')} | {msg} | {r.get('peak_rss_mb', '-')} MB | {r.get('seconds', '-')} s | {store} |"
        )


if __name__ == "__main__":
    main()
