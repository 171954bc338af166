"""Shared bits for the importer tests: paths to the real files and small record helpers."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from testpaths import API_FIXTURES, FIXTURES, LISTENING

from core.sources.importers import ImportOptions, iter_records
from core.sources.records import MALFORMED, PlayRecord, SkippedRow, one_by_one

EXPORTS = LISTENING / "lastfm-exports"
ALEEX = EXPORTS / "aleex-cs__aleex_cs.csv"
DJIVS = EXPORTS / "djivs__scrobbles.csv"
DUDU = EXPORTS / "dudu2i3__scrobbles.csv"
FELHAG = EXPORTS / "felhag__lastfmstats-TestUser.json"
KRISH = EXPORTS / "krishkumar__lastfm_scrobbles.csv"
SQLITE = EXPORTS / "spacedlevo__lastfmscrobbles.sqlite"
ERZADEL = LISTENING / "edelgrace" / "erzadel_cleaned.csv"
LFM1K = LISTENING / "lastfm-1k-sample" / "userid-timestamp-artid-artname-traid-traname.user_000001_head.tsv"
BASIC_DIR = LISTENING / "spotify" / "jonas-mika-basic"
MENISADI = LISTENING / "spotify" / "menisadi-extended-csv" / "spotify_from_extened_data_2025_raw.csv"
KOITO = API_FIXTURES / "koito-test-assets"
KOITO_EXTENDED = KOITO / "Streaming_History_Audio_spotify_import_test.json"
LB_ZIP = KOITO / "listenbrainz_shoko1_1749780844.zip"
LB_TESTDATA = API_FIXTURES / "listenbrainz-testdata"
BENJAMIN = FIXTURES / "importers" / "benjaminbenben_from_djivs.csv"


@pytest.fixture(autouse=True)
def _need_shared(shared):
    """Every importer test reads real files from ../shared (skipped when it is absent)."""


def read_all(path, fmt: str = "auto", **options) -> tuple[str, list[PlayRecord | SkippedRow]]:
    name, records = iter_records(path, fmt, ImportOptions(**options))
    return name, list(one_by_one(records))


def plays(records) -> list[PlayRecord]:
    return [r for r in records if type(r) is PlayRecord]


def tally(records) -> Counter:
    """``{"play": n, "skip": n, "<skip reason>": n}``."""
    return Counter(r.kind if type(r) is PlayRecord else r.reason for r in records)


def head_lines(path: Path, n: int, encoding: str = "utf-8") -> list[str]:
    with open(path, encoding=encoding, newline="") as fh:
        return [next(fh) for _ in range(n)]


def bad_rows(records) -> list[tuple[int, str | None]]:
    """``(line, field)`` of every row a format skipped as unreadable (``bad_row``)."""
    out = []
    for r in records:
        if type(r) is SkippedRow and r.reason == MALFORMED:
            m = re.search(r"\(field '([^']+)'\)$", r.detail)
            out.append((r.line, m.group(1) if m else None))
    return out
