"""Reading feature tables into uniform rows: (line, artist candidates, title, values).

Layouts understood (columns found by name, any order, case and punctuation ignored):
- delimited text (comma, TAB or semicolon; UTF-8, else Latin-1) and Parquet with an artist column,
  an optional title column and the modality's columns — audio: any of the 11 Spotify-style features
  (+ key); lyrics: a text column; tags: a comma-joined ``tags``/``genre`` column or ``tag`` (+
  ``weight``/``count``) rows;
- MusicOSet: ``song_id`` tables (acoustic_features.csv, lyrics.csv) joined with ``songs.csv``
  (song_name + a Python-dict ``artists`` column) found beside them or in ../musicoset_metadata;
- HetRec 2011 Last.fm: artists.dat + tags.dat (Latin-1) + user_taggedartists.dat in one folder →
  artist tags weighted by how many users applied them.
A table without a title column is artist level. Rows that overflow into a single free-text column
(an unquoted comma inside a lyric) are repaired and counted; anything else malformed raises
``TableError`` with the file, line and column.
"""

from __future__ import annotations

import ast
import csv
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.features.embeddings.audio import AUDIO_FEATURES
from core.sources.records import ImportFailure

AUDIO_COLUMNS = AUDIO_FEATURES + ("key",)
KINDS = ("audio", "lyrics", "tags")
_NULLS = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPLIT = re.compile(r"\s*(?:,|;|\s&\s|\sx\s|\sand\s|\swith\s|\s/\s)\s*", re.IGNORECASE)
_ALIASES = {
    "artist": ("artist", "artists", "artistname", "singer", "performer", "masterMetadataAlbumArtistName"),
    "title": ("title", "track", "song", "trackname", "songname", "trackTitle", "masterMetadataTrackName"),
    "text": ("lyrics", "lyric", "text", "lyricstext", "songlyrics"),
    "tags": ("tags", "toptags", "genre", "genres"),
    "tag": ("tag", "tagname", "tagvalue"),
    "weight": ("weight", "count", "tagcount", "score"),
}
_RANGES = {
    c: (0.0, 1.0)
    for c in (
        "acousticness",
        "danceability",
        "energy",
        "instrumentalness",
        "liveness",
        "speechiness",
        "valence",
        "mode",
    )
}
_RANGES.update(loudness=(-80.0, 10.0), tempo=(0.0, 400.0), duration_ms=(0.0, 86_400_000.0), key=(-1.0, 11.0))
_ZERO_IS_UNKNOWN = {"tempo", "duration_ms"}  # Spotify writes 0 when it could not tell
_EPS = 1e-6


class TableError(ImportFailure):
    """A feature table that cannot be imported; names the file, line and column."""


@dataclass
class TableRow:
    line: int
    artists: list[str]  # candidate artist names, most likely first
    title: str | None
    values: dict  # audio: {feature: float | None}; lyrics: {"text": str}; tags: {"tags": {tag: weight}}


@dataclass
class Table:
    path: Path
    layout: str
    level: str  # track | artist
    rows: list[TableRow] = field(default_factory=list)
    repaired: int = 0
    skipped: Counter = field(default_factory=Counter)


def _norm(col: str) -> str:
    return re.sub(r"[^a-z0-9]", "", col.casefold())


def _find(header: list[str], role: str) -> int | None:
    normed = [_norm(h) for h in header]
    for alias in _ALIASES[role]:
        a = _norm(alias)
        if a in normed:
            return normed.index(a)
    return None


def clean_name(value: str | None) -> str:
    return _ZERO_WIDTH.sub("", value or "").strip()


def artist_candidates(value: str) -> list[str]:
    """Names in an artist cell: a Python dict/list literal (MusicOSet, Kaggle 160k), else the whole cell
    first and then its parts split at commas, '&', 'x', 'and', 'with'."""
    value = clean_name(value)
    names: list[str] = []
    if value[:1] in "{[" and value[-1:] in "}]":
        try:
            parsed = ast.literal_eval(value)
            names = [str(v) for v in (parsed.values() if isinstance(parsed, dict) else parsed)]
        except (ValueError, SyntaxError):
            names = []
    if not names:
        names = [value]
    out: list[str] = []
    for n in names:
        for cand in [n, *_SPLIT.split(n)]:
            cand = clean_name(cand)
            if cand and cand not in out:
                out.append(cand)
    return out


def parse_number(raw, path: Path, line: int, column: str) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = str(raw).strip()
        if text.casefold() in _NULLS:
            return None
        try:
            value = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
        except ValueError:
            raise TableError(path.name, f"not a number: {text[:40]!r}", line, column) from None
    if math.isnan(value):
        return None
    if column == "key" and value == -1:
        return None
    if column in _ZERO_IS_UNKNOWN and value == 0:
        return None
    lo, hi = _RANGES[column]
    if not lo - _EPS <= value <= hi + _EPS:
        raise TableError(path.name, f"{column} {value:g} outside {lo:g}..{hi:g}", line, column)
    return value


def clean_lyrics_cell(text: str) -> str:
    """Undo storage quirks: a Python list literal of lines (MusicOSet), backslashes for newlines."""
    t = (text or "").strip()
    if t[:2] in ("['", '["') and t[-2:] in ("']", '"]'):
        try:
            parsed = ast.literal_eval(t)
            t = "\n".join(str(x) for x in parsed)
        except (ValueError, SyntaxError):
            pass
    if "\n" not in t and "\\" in t:
        t = t.replace("\\", "\n")
    return t.strip()


def tag_list(cell, ranked: bool = True) -> dict[str, float]:
    """A comma-joined tag cell (strongest first) → {tag: weight}; rank weights 100·(n − rank)/n."""
    items = cell if isinstance(cell, (list, tuple)) else str(cell or "").split(",")
    tags = []
    for t in items:
        t = clean_name(str(t)).casefold()[:200]
        if t and t not in tags:
            tags.append(t)
    n = len(tags)
    return {t: (100.0 * (n - r) / n if ranked else 100.0) for r, t in enumerate(tags)}


# -- file level -----------------------------------------------------------------------------------


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_delimited(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(header, iterator of (line, cells)); an unterminated quote at the end of the file is an error."""
    import io

    text = _decode(path)
    first = text.split("\n", 1)[0]
    delim = max(("\t", ",", ";"), key=first.count)
    csv.field_size_limit(sys.maxsize)
    try:
        for _ in csv.reader(io.StringIO(text), delimiter=delim, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise TableError(
                path.name, "file ends inside a quoted field (truncated?)", text.count("\n") + 1
            ) from None
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    header = next(reader, None)
    if not header:
        raise TableError(path.name, "empty file", 1)

    def rows():
        prev = reader.line_num
        for cells in reader:
            line = prev + 1
            prev = reader.line_num
            if any(c.strip() for c in cells):
                yield line, cells

    return header, rows()


def read_parquet(path: Path) -> tuple[list[str], Iterator[tuple[int, list]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for damaged files
        raise TableError(path.name, f"cannot read Parquet: {exc}") from None
    header = table.column_names
    cols = [table.column(c).to_pylist() for c in header]
    return header, ((n + 1, [c[n] for c in cols]) for n in range(table.num_rows))


def _musicoset_songs(path: Path) -> dict[str, tuple[str, str]]:
    for cand in (path.with_name("songs.csv"), path.parent.parent / "musicoset_metadata" / "songs.csv"):
        if cand.exists():
            header, rows = read_delimited(cand)
            i_id, i_name, i_art = (_norm_index(header, n) for n in ("song_id", "song_name", "artists"))
            if None in (i_id, i_name, i_art):
                raise TableError(cand.name, "expected song_id, song_name and artists columns", 1)
            return {cells[i_id]: (cells[i_name], cells[i_art]) for _, cells in rows if len(cells) > i_art}
    raise TableError(
        path.name,
        "has song_id but no artist/title columns; put MusicOSet's songs.csv "
        "(song_id, song_name, artists) beside it or in ../musicoset_metadata",
        1,
        "song_id",
    )


def _norm_index(header: list[str], name: str) -> int | None:
    normed = [_norm(h) for h in header]
    return normed.index(_norm(name)) if _norm(name) in normed else None


def read_hetrec(folder: Path) -> Table:
    """HetRec 2011 Last.fm 2K: artist tags weighted by the number of users who applied them."""
    files = {n: folder / n for n in ("artists.dat", "tags.dat", "user_taggedartists.dat")}
    for name, p in files.items():
        if not p.exists():
            raise TableError(folder.name, f"HetRec folder lacks {name}")
    artists = {c[0]: c[1] for _, c in read_delimited(files["artists.dat"])[1] if len(c) >= 2}
    tags = {c[0]: c[1] for _, c in read_delimited(files["tags.dat"])[1] if len(c) >= 2}
    header, rows = read_delimited(files["user_taggedartists.dat"])
    i_art, i_tag = _norm_index(header, "artistID"), _norm_index(header, "tagID")
    if i_art is None or i_tag is None:
        raise TableError("user_taggedartists.dat", "expected artistID and tagID columns", 1)
    counts: dict[str, Counter] = defaultdict(Counter)
    first_line: dict[str, int] = {}
    table = Table(folder, "hetrec-2011", "artist")
    for line, c in rows:
        if len(c) <= max(i_art, i_tag):
            raise TableError("user_taggedartists.dat", f"{len(c)} columns, header has {len(header)}", line)
        art, tag = c[i_art], c[i_tag]
        if art not in artists or tag not in tags:
            table.skipped["unknown_id"] += 1
            continue
        counts[art][clean_name(tags[tag]).casefold()[:200]] += 1
        first_line.setdefault(art, line)
    for art, ctr in counts.items():
        table.rows.append(
            TableRow(
                first_line[art],
                artist_candidates(artists[art]),
                None,
                {"tags": {t: float(n) for t, n in ctr.items() if t}},
            )
        )
    return table


def read_table(path: Path, kind: str) -> Table:
    """Parse one feature table (file, or a HetRec folder) for ``kind``."""
    if kind not in KINDS:
        raise TableError(path.name, f"unknown kind {kind!r} (use {', '.join(KINDS)})")
    hetrec = path if path.is_dir() else path.parent
    if (hetrec / "user_taggedartists.dat").exists() and (path.is_dir() or path.suffix == ".dat"):
        if kind != "tags":
            raise TableError(path.name, f"HetRec 2011 holds tags, not {kind}")
        return read_hetrec(hetrec)
    if path.is_dir():
        raise TableError(path.name, "a folder; name the table file (or use a HetRec 2011 folder)")
    if not path.exists():
        raise TableError(str(path), "no such file")
    header, rows = read_parquet(path) if path.suffix.lower() == ".parquet" else read_delimited(path)
    header = [str(h) for h in header]
    i_art, i_title = _find(header, "artist"), _find(header, "title")
    songs = None
    if i_art is None:
        if _norm_index(header, "song_id") is None:
            raise TableError(
                path.name, "no artist column (looked for " + ", ".join(_ALIASES["artist"][:4]) + ")", 1
            )
        songs = _musicoset_songs(path)
    layout = (
        "musicoset"
        if songs is not None
        else ("parquet" if path.suffix.lower() == ".parquet" else "delimited")
    )
    table = Table(path, layout, "track" if (i_title is not None or songs is not None) else "artist")
    spec = _columns(path, header, kind)
    i_song = _norm_index(header, "song_id")
    free_text = spec.get("text")
    for line, cells in rows:
        if len(cells) != len(header):
            if free_text is not None and len(cells) > len(header) and layout == "delimited":
                n_after = len(header) - free_text - 1
                cells = (
                    cells[:free_text]
                    + [",".join(cells[free_text : len(cells) - n_after])]
                    + cells[len(cells) - n_after :]
                )
                table.repaired += 1
            else:
                raise TableError(path.name, f"{len(cells)} columns, header has {len(header)}", line)
        if songs is not None:
            song = songs.get(cells[i_song])
            if song is None:
                table.skipped["unknown_song_id"] += 1
                continue
            title, artist_cell = song
        else:
            title = cells[i_title] if i_title is not None else None
            artist_cell = cells[i_art]
        artists = artist_candidates(str(artist_cell or ""))
        title = clean_name(str(title)) if title is not None else None
        if not artists or (table.level == "track" and not title):
            table.skipped["no_artist" if not artists else "no_title"] += 1
            continue
        table.rows.append(TableRow(line, artists, title, _values(path, line, header, cells, kind, spec)))
    return table


def _columns(path: Path, header: list[str], kind: str) -> dict:
    if kind == "audio":
        cols = {c: _norm_index(header, c) for c in AUDIO_COLUMNS}
        cols = {c: i for c, i in cols.items() if i is not None}
        if not cols:
            raise TableError(
                path.name, "no audio feature columns (expected any of " + ", ".join(AUDIO_COLUMNS) + ")", 1
            )
        return {"audio": cols}
    if kind == "lyrics":
        i = _find(header, "text")
        if i is None:
            raise TableError(path.name, "no lyrics column (looked for lyrics, lyric, text)", 1)
        return {"text": i}
    i_tags, i_tag = _find(header, "tags"), _find(header, "tag")
    if i_tags is None and i_tag is None:
        raise TableError(path.name, "no tags column (looked for tags, genre, or tag + weight)", 1)
    return {"tags": i_tags, "tag": i_tag, "weight": _find(header, "weight")}


def _values(path: Path, line: int, header: list[str], cells: list, kind: str, spec: dict) -> dict:
    if kind == "audio":
        return {c: parse_number(cells[i], path, line, c) for c, i in spec["audio"].items()}
    if kind == "lyrics":
        return {"text": clean_lyrics_cell(str(cells[spec["text"]] or ""))}
    if spec["tags"] is not None:
        return {"tags": tag_list(cells[spec["tags"]])}
    tag = clean_name(str(cells[spec["tag"]] or "")).casefold()[:200]
    weight = 100.0
    if spec["weight"] is not None:
        w = str(cells[spec["weight"]]).strip()
        try:
            weight = float(w)
        except ValueError:
            raise TableError(path.name, f"not a number: {w[:40]!r}", line, header[spec["weight"]]) from None
    return {"tags": {tag: weight} if tag else {}}
