"""Parse-only throughput on a large file made by repeating real rows (slow: run with ``-m slow``).

The floor asserted here is deliberately far below the figures measured on an idle machine
(~400k rows/s for ghan/generic CSV, see the importer report) so that a busy CI box does not flake;
it still catches an accidental quadratic step or a per-row Python-level regression of 2-3x.
"""

from __future__ import annotations

import time

import pytest
from importers_helpers import ALEEX, KRISH

from core.sources.importers import ImportOptions, iter_records

ROWS = 300_000


def _repeat(src, dst, rows: int) -> None:
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    with open(dst, "w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        written = 0
        while written < rows:
            chunk = body[: rows - written]
            fh.writelines(chunk)
            written += len(chunk)


@pytest.mark.slow
@pytest.mark.parametrize(("src", "fmt"), [(ALEEX, "lastfm-ghan"), (KRISH, "generic-csv")])
def test_csv_parse_throughput(tmp_path, src, fmt):
    big = tmp_path / "big.csv"
    _repeat(src, big, ROWS)
    start = time.process_time()
    name, records = iter_records(big, "auto", ImportOptions())
    count = sum(1 for _ in records)
    elapsed = time.process_time() - start
    assert (name, count) == (fmt, ROWS)
    assert count / elapsed > 150_000, f"{count / elapsed:,.0f} rows/s"
