"""Libre.fm CSV export: ``Artist,Track,Album,Time`` (Unix seconds), after a few ``#`` comment lines.

Libre.fm writes the export in UTF-7: its comment lines start ``+ACM-`` (UTF-7 for ``#``) and any name
outside ASCII arrives as ``+AOk-``-style runs, so a file whose head carries that marker is decoded as
UTF-7 (anything else as UTF-8). Column names are matched case-insensitively; ``Album`` and a leading
``userid`` column may be absent. A row whose time is not a number → ``bad_row``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play
from core.sources.importers.text import head_lines, looks_binary, open_table
from core.sources.records import SkippedRow

FORMAT = "librefm"
DESCRIPTION = "Libre.fm CSV export: Artist,Track,Album,Time (Unix seconds) after # comment lines, UTF-7"

UTF7_COMMENT = "+ACM-"
REQUIRED = {"artist", "track", "time"}


def _comment(line: str) -> bool:
    return line.startswith(("#", UTF7_COMMENT))


def _is_header(names: list[str]) -> bool:
    return REQUIRED <= set(names)


def sniff(path: PurePath, head: bytes) -> float:
    if looks_binary(head):
        return 0.0
    lines = head_lines(head, 30)
    marked = any(ln.startswith(UTF7_COMMENT + " Data export from Libre.fm") for ln in lines)
    for ln in lines:
        if _comment(ln):
            continue
        names = {c.strip(' "').lower() for c in ln.split(",")}
        if _is_header(list(names)):
            return 0.97 if marked or len(names) <= 5 else 0.0
        break
    return 0.9 if marked else 0.0


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    encoding = "utf-7" if UTF7_COMMENT.encode() in src.head(4096) else None
    with open_table(src, _is_header, encoding=encoding, what="Libre.fm header (Artist, Track, Time)") as t:
        artist, track, time_, album = t.index("artist"), t.index("track"), t.index("time"), t.index("album")
        for line, row in t.each():
            if type(row) is SkippedRow:
                yield row
                continue
            stamp = row[time_].strip()
            if not stamp.isdigit():
                yield bad_row(line, f"bad time {stamp!r} (expected Unix seconds)", "Time")
                continue
            yield make_play(
                row[artist].strip(),
                row[track].strip(),
                int(stamp),
                line,
                album=row[album].strip() if album is not None else None,
            )
