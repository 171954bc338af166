"""History-file importers: one module per format, chosen by sniffing or by ``--format``.

Contract for a format module (see ``base.py``):
- ``FORMAT``: the name users pass to ``--format``;
- ``sniff(path, head) -> float``: confidence 0..1 that the file is in this format (``head`` is the
  first 64 KiB as bytes);
- ``read(path, options) -> Iterator[PlayRecord | SkippedRow]``: streams the file, raising
  ``ImportFailure`` (file + line/field) for malformed input.

Registry (this module): ``formats()``, ``get(name)``, ``detect(path)``, ``expand(path)`` /
``scan(path)`` (folder or .zip → member ``Source``s, plus the members ignored and why) and
``iter_records(source, fmt, options) -> (format name, record stream)``.

``--map`` is honoured by ``generic-csv`` only: with a mapping, a file that sniffs as any delimited
text format is read by ``generic-csv``; JSON and SQLite formats ignore the mapping (so one mapping can
be given for a folder of mixed files); naming another format explicitly together with a mapping is
an error.
"""

from __future__ import annotations

from pathlib import Path

from core.sources.importers import (
    apple_music,
    generic_csv,
    lastfm_1k,
    lastfm_archive_json,
    lastfm_benjaminbenben,
    lastfm_ghan,
    lastfm_sqlite,
    lastfmstats_json,
    librefm,
    listenbrainz,
    maloja,
    panoscrobbler,
    rockbox,
    spotify_basic,
    spotify_extended,
    tidal,
    youtube_music,
)
from core.sources.importers.archive import ZIP_MAGIC, Ignored, Scan
from core.sources.importers.archive import scan as _scan
from core.sources.importers.base import FormatModule, ImportOptions, Source, Stream, as_source, failure
from core.sources.importers.text import looks_binary
from core.sources.records import ImportFailure

__all__ = [
    "ImportOptions",
    "Source",
    "Scan",
    "Ignored",
    "ImportFailure",
    "formats",
    "get",
    "detect",
    "expand",
    "scan",
    "iter_records",
]

_FORMATS: list[FormatModule] = [
    lastfm_sqlite,
    spotify_extended,
    spotify_basic,
    lastfmstats_json,
    lastfm_archive_json,
    maloja,
    youtube_music,
    listenbrainz,
    panoscrobbler,
    rockbox,
    apple_music,
    tidal,
    librefm,
    lastfm_ghan,
    lastfm_1k,
    lastfm_benjaminbenben,
    generic_csv,
]  # type: ignore[list-item]
_DELIMITED = {
    lastfm_ghan.FORMAT,
    lastfm_1k.FORMAT,
    lastfm_benjaminbenben.FORMAT,
    apple_music.FORMAT,
    tidal.FORMAT,
    librefm.FORMAT,
    generic_csv.FORMAT,
}
THRESHOLD = 0.5


def formats() -> list[FormatModule]:
    """Every format module, most specific first (ties in ``detect`` go to the earlier one)."""
    return list(_FORMATS)


def get(name: str) -> FormatModule:
    for mod in _FORMATS:
        if mod.FORMAT == name:
            return mod
    raise ValueError(f"unknown format {name!r}; known: {', '.join(m.FORMAT for m in _FORMATS)}")


def _head(src: Source) -> bytes:
    try:
        return src.head()
    except IsADirectoryError:
        raise failure(src, "is a folder: import its files (expand)") from None
    except OSError as exc:
        raise failure(src, f"cannot read: {exc.strerror or exc}") from None


def _best(src: Source, head: bytes) -> tuple[float, FormatModule | None]:
    best: tuple[float, FormatModule | None] = (0.0, None)
    for mod in _FORMATS:
        try:
            score = mod.sniff(src.pure_path, head)
        except Exception:  # noqa: BLE001 - a sniffer tripping on odd bytes just does not claim the file
            score = 0.0
        if score > best[0]:
            best = (score, mod)
    return best


def detect(path: Path | Source) -> FormatModule:
    """The format module for a file; ``ImportFailure`` naming the file when none fits."""
    src = as_source(path)
    head = _head(src)
    if not head.strip():
        raise failure(src, "file is empty")
    if head[:4] in ZIP_MAGIC:
        raise failure(src, "is a zip archive: import its members (expand)")
    score, mod = _best(src, head)
    if mod is not None and score >= THRESHOLD:
        return mod
    if looks_binary(head):
        raise failure(src, "binary file, not a listening history")
    names = ", ".join(m.FORMAT for m in _FORMATS)
    raise failure(src, f"unrecognised format; pass --format (one of: {names})")


def _judge(src: Source, fmt: str = "auto", found: dict[str, FormatModule] | None = None) -> str | None:
    """Why a folder/zip member is not imported, or ``None`` to import it (noting the sniffed format in
    ``found``, so the import does not sniff again). With an explicit format, every member that is not
    empty or binary is imported with it (the user said what the files are)."""
    try:
        head = src.head()
    except (OSError, ImportFailure):
        return None  # let the import fail on it with a proper message
    if fmt == "auto":
        score, mod = _best(src, head)
        if score >= THRESHOLD:
            if found is not None and mod is not None:
                found[src.name] = mod
            return None
    if not head.strip():
        return "empty file"
    if looks_binary(head) or head[:4] in ZIP_MAGIC:
        if fmt == lastfm_sqlite.FORMAT and head.startswith(lastfm_sqlite.MAGIC):
            return None
        return "binary file, not a listening history"
    if fmt != "auto":
        return None
    return "not a listening history (no format recognised it)"


def scan(path: Path | str, fmt: str = "auto") -> Scan:
    """Folder, .zip or pipe → importable members and the ones ignored or refused (with reasons); a file →
    itself. Use it as a context manager (or ``close()`` it): it may hold an open archive. ``detected``
    maps each member that was sniffed to its format (pass it to ``iter_records``)."""
    found: dict[str, FormatModule] = {}
    out = _scan(path, lambda src: _judge(src, fmt, found))
    out.detected = found
    return out


def expand(path: Path | str) -> list[Source]:
    """The importable files behind ``path`` (see ``scan`` for the ignored ones)."""
    return scan(path).sources


def iter_records(
    source: Path | Source,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    detected: FormatModule | None = None,
) -> tuple[str, Stream]:
    """The chosen format's name and its record stream (lazy: parse errors surface while iterating).
    ``detected``: the format a scan already sniffed for this source (``Scan.detected``)."""
    src = as_source(source)
    options = options or ImportOptions()
    if fmt == "auto":
        mod = detected or detect(src)
        if options.mapping and mod.FORMAT in _DELIMITED:
            mod = generic_csv
    else:
        try:
            mod = get(fmt)
        except ValueError as exc:
            raise failure(src, str(exc)) from None
        if options.mapping and mod is not generic_csv and mod.FORMAT in _DELIMITED:
            raise failure(src, f"--map applies to --format generic-csv, not {fmt}")
    return mod.FORMAT, mod.read(src, options)
