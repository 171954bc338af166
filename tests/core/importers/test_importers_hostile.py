"""Hostile and broken inputs built from real exports: each ends in one clear sentence, nothing half
written, and never a hang, a traceback or unbounded memory (the figures: benchmarks/bench_hostile.py)."""

from __future__ import annotations

import json
import os
import threading
import zipfile

import pytest
from importers_helpers import ALEEX, BASIC_DIR, KOITO_EXTENDED, read_all

from core.jobs import run_job
from core.sources import importers
from core.sources.importing import import_files
from core.sources.records import ImportFailure
from core.store.queries import account_by_name


def _import(store, paths, account="a"):
    return run_job(import_files(store, [str(p) for p in paths], account))


def _plays(store, account="a") -> int:
    acc = account_by_name(store.engine, account)
    return 0 if acc is None else acc.plays


def _deep_json(path, depth: int = 100_000) -> None:
    """A Spotify extended-history file whose third item nests deeper than Python's recursion limit."""
    items = json.loads(KOITO_EXTENDED.read_text(encoding="utf-8"))[:2]
    text = json.dumps(items)[:-1] + ', {"ts": ' + "[" * depth + "]" * depth + "}]"
    path.write_text(text, encoding="utf-8")


def _in_thread(fn, timeout: float = 20.0):
    """Run ``fn`` and fail (instead of hanging the suite) if it does not return in ``timeout`` s."""
    out: dict = {}
    t = threading.Thread(target=lambda: out.setdefault("value", fn()), daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the import hung"
    return out["value"]


def test_fifo_alone_does_not_hang(store, tmp_path):
    fifo = tmp_path / "history.csv"
    os.mkfifo(fifo)
    report = _in_thread(lambda: _import(store, [fifo]))
    assert [str(f) for f in report.failures] == [f"{fifo}: nothing was written to this pipe (file is empty)"]
    assert _plays(store) == 0


def test_fifo_in_a_folder_is_refused_and_the_rest_imports(store, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    os.mkfifo(folder / "a-pipe.csv")
    (folder / "scrobbles.csv").write_bytes(ALEEX.read_bytes())
    report = _in_thread(lambda: _import(store, [folder]))
    assert report.files[0].added > 5900 and _plays(store) == report.files[0].added
    assert not report.ok  # the run exits 2: something in the folder was not read
    assert [str(f) for f in report.failures] == [
        f"{folder / 'a-pipe.csv'}: a named pipe, not a file: not read"
    ]


def test_a_pipe_with_a_writer_is_read_once(store, tmp_path):
    fifo = tmp_path / "fd63"
    os.mkfifo(fifo)
    data = ALEEX.read_bytes()

    def write():
        with open(fifo, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    report = _in_thread(lambda: _import(store, [fifo]))
    writer.join(5)
    assert report.ok and report.files[0].path == str(fifo) and report.files[0].added > 5900


def test_json_deeper_than_the_recursion_limit(store, tmp_path):
    deep = tmp_path / "Streaming_History_Audio_2025.json"
    _deep_json(deep)
    report = _import(store, [deep])
    (failure,) = report.failures
    assert "nested too deeply" in str(failure) and failure.path == str(deep)
    assert _plays(store) == 0


def test_one_crashing_file_in_a_folder_does_not_stop_the_later_ones(store, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    _deep_json(folder / "a_Streaming_History_Audio_2025.json")
    (folder / "b_scrobbles.csv").write_bytes(ALEEX.read_bytes())
    report = _import(store, [folder])
    assert [s.path for s in report.files] == [str(folder / "b_scrobbles.csv")]
    assert len(report.failures) == 1 and "nested too deeply" in str(report.failures[0])
    assert _plays(store) == report.files[0].added > 5900


def test_csv_field_over_16_mib(store, tmp_path):
    lines = ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)[:20]
    lines[5] = lines[5].replace('"Roy Harper"', '"' + "R" * (17 << 20) + '"', 1)
    big = tmp_path / "big_field.csv"
    big.write_text("".join(lines), encoding="utf-8")
    report = _import(store, [big])
    (failure,) = report.failures
    assert failure.line == 6 and "longer than 16 Mi characters" in failure.reason
    assert _plays(store) == 0


def test_unclosed_quote_is_refused_or_recovered_never_swallowed(tmp_path):
    lines = ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)[:30]
    lines[4] = lines[4].replace('"Roy Harper"', '"Roy Harper', 1)  # a quote that never closes
    bad = tmp_path / "unclosed.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    _, records = read_all(bad)
    assert len(records) == 29  # every row is accounted for: read, or skipped with its line


def _zip_bomb(path, megabytes: int) -> None:
    """A StreamingHistory JSON of ``megabytes`` MiB of one repeated real item, deflated ~1000x."""
    item = json.dumps(json.loads((BASIC_DIR / "StreamingHistory5.json").read_text(encoding="utf-8"))[0])
    chunk = ("," + item) * 4096
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("StreamingHistory0.json", "w") as fh:
        fh.write(("[" + item).encode())
        written = 0
        while written < megabytes << 20:
            fh.write(chunk.encode())
            written += len(chunk)
        fh.write(b"]")


def test_a_zip_bomb_is_refused_while_streaming(store, tmp_path, monkeypatch):
    bomb = tmp_path / "my_spotify_data.zip"
    _zip_bomb(bomb, 64)
    assert bomb.stat().st_size < 1 << 20
    report = _import(store, [bomb])
    (failure,) = report.failures
    assert failure.path == f"{bomb}!StreamingHistory0.json" and "zip bomb" in failure.reason
    assert _plays(store) == 0


def test_a_zip_of_20k_members_is_refused_before_its_directory_is_read(store, tmp_path):
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(20_000):
            zf.writestr(f"f{i}.txt", b"")
    report = _import(store, [many])
    assert [str(f) for f in report.failures] == [
        f"{many}: zip archive with 20,000 members (more than 5,000): not a listening-history export; "
        "extract the history files and import them"
    ]


def test_member_names_leaving_the_folder_are_reported(store, tmp_path):
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../etc/scrobbles.csv", ALEEX.read_bytes())
        zf.writestr("history/scrobbles.csv", ALEEX.read_bytes())
    report = _import(store, [z])
    assert [s.path for s in report.files] == [f"{z}!history/scrobbles.csv"]
    assert [str(f) for f in report.failures] == [
        f"{z}!../../etc/scrobbles.csv: member name leaves the archive's folder ('..' or absolute): refused"
    ]


def test_a_zip_is_opened_once_not_once_per_member(tmp_path, monkeypatch):
    z = tmp_path / "listens.zip"
    rows = ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(200):
            zf.writestr(f"part{i:03}.csv", rows[0] + "".join(rows[1 + i * 20 : 21 + i * 20]))
    opened = []
    real = zipfile.ZipFile.__init__

    def counting(self, *args, **kwargs):
        opened.append(args[0])
        real(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting)
    with importers.scan(z) as scan:
        assert len(scan.sources) == 200
        total = sum(len(read_all(src)[1]) for src in scan.sources)
    assert total == 4000 and len(opened) == 1


def test_folder_where_nothing_is_recognised_is_a_failure(store, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(3):
        (folder / f"n{i}.txt").write_text("shopping list\nmilk\n", encoding="utf-8")
    report = _import(store, [folder])
    assert not report.ok and len(report.ignored) == 3
    assert "no listening history found among its 3 files" in str(report.failures[0])


def test_a_full_disk_is_one_sentence_and_stops_the_run(store, tmp_path):
    from sqlalchemy import event

    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "a.csv").write_bytes(ALEEX.read_bytes())
    (folder / "b.json").write_bytes(KOITO_EXTENDED.read_bytes())
    pages = store.engine.connect().exec_driver_sql("PRAGMA page_count").scalar()
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda c, _r: c.execute(f"PRAGMA max_page_count={pages + 3}"))
    report = _import(store, [folder])
    assert [str(f) for f in report.failures] == [
        f"{folder / 'a.csv'}: not imported: the disk holding the database is full; free some space and "
        "import again",
        f"{folder / 'b.json'}: not imported: the disk is full",
    ]
    assert not report.files and _plays(store) == 0


def test_account_name_over_200_characters_is_refused_before_anything_is_written(store):
    with pytest.raises(
        ImportFailure, match="the name is 201 characters long; an account name has at most 200"
    ):
        _import(store, [ALEEX], account="x" * 201)
    assert _plays(store, "x" * 201) == 0
