"""Audioscrobbler ``.scrobbler.log`` (Rockbox and other portable players), format 1.1.

``#AUDIOSCROBBLER/1.1``, ``#TZ/UTC`` or ``#TZ/UNKNOWN``, ``#CLIENT/...`` lines, then one TAB-separated
line per play: artist, album, title, track number, length (s), rating (``L`` listened, ``S`` skipped),
timestamp (Unix), MusicBrainz track id (optional). ``S`` plays are stored as skips, never as plays;
a ``<Untagged>`` artist with no album is a file without tags → ``SkippedRow("untagged")``.
``#TZ/UNKNOWN`` means the player's clock is local time written as if it were UTC: with
``--timezone`` the stamps are read in that zone, else as UTC (one hour off in a CET winter).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePath

from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play
from core.sources.importers.text import bounded_lines, field_count_problem, head_lines, open_text, reader_for
from core.sources.records import SkippedRow

FORMAT = "rockbox-scrobbler-log"
DESCRIPTION = "Audioscrobbler .scrobbler.log (Rockbox, portable players): TAB fields, #TZ/ header, L/S"

MAGIC = "#AUDIOSCROBBLER/"


def sniff(path: PurePath, head: bytes) -> float:
    lines = head_lines(head, 5)
    if lines and lines[0].startswith(MAGIC):
        return 0.98
    return 0.6 if path.name.lower() == ".scrobbler.log" else 0.0


def _local(ts: int, tz) -> int:
    """A stamp the player wrote in local time, as the true Unix time in ``tz``."""
    naive = datetime.fromtimestamp(ts, UTC).replace(tzinfo=None)
    return int(naive.replace(tzinfo=tz).timestamp())


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    local = False
    with open_text(src, "utf-8-sig") as fh:
        for line, raw in enumerate(bounded_lines(src, fh), 1):
            text = raw.rstrip("\r\n")
            if not text.strip():
                continue
            if text.startswith("#"):
                if text.startswith("#TZ/"):
                    local = text[4:].strip().upper() != "UTC" and options.timezone is not None
                continue
            row = next(reader_for([text], "\t", csv.QUOTE_NONE))
            if len(row) == 7:
                row.append("")
            if len(row) != 8:
                yield bad_row(line, field_count_problem(8, len(row)))
                continue
            artist, album, title, _num, length, rating, stamp, mbid = row
            if not stamp.strip().isdigit():
                yield bad_row(line, f"bad timestamp {stamp!r}", "timestamp")
                continue
            if artist.strip() == "<Untagged>" and not album.strip():
                yield SkippedRow("untagged", line, title)
                continue
            played_at = int(stamp)
            if local:
                played_at = _local(played_at, options.tz)
            seconds = length.strip()
            yield make_play(
                artist.strip(),
                title.strip(),
                played_at,
                line,
                album=album.strip(),
                duration_ms=int(seconds) * 1000 if seconds.isdigit() and int(seconds) > 0 else None,
                track_mbid=mbid.strip(),
                kind="skip" if rating.strip().upper() == "S" else "play",
            )
