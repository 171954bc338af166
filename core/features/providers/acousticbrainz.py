"""Import AcousticBrainz data dumps for tracks with a MusicBrainz recording ID.

Dump layout (metabrainz/acousticbrainz-server ``db/dump.py``, 2022 dumps): archives
``acousticbrainz-{lowlevel|highlevel}-json-YYYYMMDD-N.tar.zst`` whose members are
``acousticbrainz-{kind}-json-YYYYMMDD/{kind}/{mbid[0:2]}/{mbid[2]}/{mbid}-{submission}.json`` (older
dumps: ``{kind}/{mbid[0]}/{mbid[0:2]}/...``).  We accept an extracted folder, a tar archive (.tar,
.tar.gz, .tar.bz2, .tar.xz; .tar.zst when the ``zstandard`` module is installed) or one JSON file,
and read only members whose file name carries a wanted MBID.  The lowest submission number wins.

Mapping to the ``audio_features`` columns (the scales are AcousticBrainz's, documented here):

* low-level: ``tempo`` ← ``rhythm.bpm``; ``key``/``mode`` ← ``tonal.key_key``/``key_scale`` (or
  ``tonal.key_edma`` in newer extractors); ``duration_ms`` ← ``metadata.audio_properties.length``.
* high-level (essentia SVM classifiers, class probabilities 0-1): ``danceability`` ←
  ``danceability.all.danceable``, ``acousticness`` ← ``mood_acoustic.all.acoustic``,
  ``instrumentalness`` ← ``voice_instrumental.all.instrumental``.  These are classifier
  probabilities, close in meaning to Spotify's but not calibrated to them.
* not mapped (NULL): ``loudness`` (``average_loudness`` is a 0-1 descriptor and ``replay_gain`` a
  gain, neither is loudness in dB), energy, valence, liveness, speechiness.
"""

from __future__ import annotations

import json
import re
import tarfile
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from core.features.providers.rows import merge_audio_features
from core.features.providers.state import set_status
from core.jobs import CancelToken, Progress
from core.store.schema import Scrobble, Track

PROVIDER = "acousticbrainz"
_MEMBER = re.compile(
    r"(?:^|/)(?:(lowlevel|highlevel)/(?:[0-9a-f]{1,2}/){2})?"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:-(\d+))?\.json$",
    re.I,
)
PITCH = {
    "C": 0,
    "C#": 1,
    "DB": 1,
    "D": 2,
    "D#": 3,
    "EB": 3,
    "E": 4,
    "FB": 4,
    "E#": 5,
    "F": 5,
    "F#": 6,
    "GB": 6,
    "G": 7,
    "G#": 8,
    "AB": 8,
    "A": 9,
    "A#": 10,
    "BB": 10,
    "B": 11,
    "CB": 11,
    "B#": 0,
}


def _get(doc: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(p)
    return doc


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f else None  # NaN → None


def parse_lowlevel(doc: dict) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    bpm = _num(_get(doc, "rhythm", "bpm"))
    out["tempo"] = bpm if bpm and bpm > 0 else None
    key = (
        _get(doc, "tonal", "key_key")
        or _get(doc, "tonal", "key_edma", "key")
        or _get(doc, "tonal", "key_krumhansl", "key")
    )
    scale = (
        _get(doc, "tonal", "key_scale")
        or _get(doc, "tonal", "key_edma", "scale")
        or _get(doc, "tonal", "key_krumhansl", "scale")
    )
    pc = PITCH.get(str(key).strip().upper()) if key else None
    out["key"] = float(pc) if pc is not None else None
    out["mode"] = {"major": 1.0, "minor": 0.0}.get(str(scale).lower()) if pc is not None and scale else None
    length = _num(_get(doc, "metadata", "audio_properties", "length"))
    out["duration_ms"] = round(length * 1000.0, 1) if length and length > 0 else None
    return out


def parse_highlevel(doc: dict) -> dict[str, float | None]:
    hl = doc.get("highlevel") if isinstance(doc.get("highlevel"), dict) else {}
    return {
        "danceability": _num(_get(hl, "danceability", "all", "danceable")),
        "acousticness": _num(_get(hl, "mood_acoustic", "all", "acoustic")),
        "instrumentalness": _num(_get(hl, "voice_instrumental", "all", "instrumental")),
    }


def kind_of(doc: dict, hint: str | None) -> str | None:
    if hint:
        return hint.lower()
    if isinstance(doc.get("highlevel"), dict):
        return "highlevel"
    if isinstance(doc.get("rhythm"), dict) or isinstance(doc.get("lowlevel"), dict):
        return "lowlevel"
    return None


def _open_tar(path: Path) -> tarfile.TarFile:
    name = path.name.lower()
    if name.endswith((".tar.zst", ".tzst")):
        try:
            import zstandard
        except ImportError as exc:
            raise RuntimeError(
                f"{path.name} is zstd-compressed: install 'zstandard' or run "
                f"'zstd -d {path.name}' and import the .tar"
            ) from exc
        stream = zstandard.ZstdDecompressor().stream_reader(path.open("rb"))
        return tarfile.open(fileobj=stream, mode="r|")
    return tarfile.open(path, mode="r|*")


def iter_documents(
    path: str | Path, wanted: set[str]
) -> Iterator[tuple[str, str | None, int, IO[bytes] | Path]]:
    """(mbid, kind hint, submission, file object or path) for each dump member naming a wanted MBID."""
    path = Path(path)
    if path.is_dir():
        for f in sorted(path.rglob("*.json")):
            m = _MEMBER.search(f.as_posix())
            if m and m.group(2).lower() in wanted:
                yield m.group(2).lower(), m.group(1), int(m.group(3) or 0), f
        return
    if path.suffix.lower() == ".json":
        m = _MEMBER.search(path.name)
        if m and m.group(2).lower() in wanted:
            yield m.group(2).lower(), m.group(1), int(m.group(3) or 0), path
        return
    with _open_tar(path) as tar:
        for member in tar:
            if not member.isfile():
                continue
            m = _MEMBER.search(member.name)
            if not m or m.group(2).lower() not in wanted:
                continue
            fh = tar.extractfile(member)
            if fh is not None:
                yield m.group(2).lower(), m.group(1), int(m.group(3) or 0), fh


def _wanted(conn, account_id: int | None) -> dict[str, list[int]]:
    stmt = select(Track.id, Track.mbid).where(Track.mbid.is_not(None), Track.mbid != "")
    if account_id is not None:
        stmt = stmt.where(Track.id.in_(select(Scrobble.track_id).where(Scrobble.account_id == account_id)))
    out: dict[str, list[int]] = {}
    for tid, mbid in conn.execute(stmt):
        out.setdefault(mbid.strip().lower(), []).append(tid)
    return out


def import_acousticbrainz(
    store,
    path: str | Path,
    *,
    account_id: int | None = None,
    cancel: CancelToken | None = None,
    now: int | None = None,
    batch: int = 200,
) -> Generator[Progress, None, dict]:
    """Read a dump and store the mapped features of every track whose ``mbid`` appears in it."""
    now = int(now if now is not None else time.time())
    with store.engine.connect() as conn:
        wanted = _wanted(conn, account_id)
    counts = {
        "tracks_with_mbid": sum(len(v) for v in wanted.values()),
        "documents": 0,
        "lowlevel": 0,
        "highlevel": 0,
        "unreadable": 0,
        "tracks_updated": 0,
    }
    best: dict[tuple[str, str], int] = {}
    updated: set[int] = set()
    pending = 0
    yield Progress(0, None, f"AcousticBrainz: looking for {len(wanted)} recording IDs in {Path(path).name}")
    conn = store.engine.connect()
    trans = conn.begin()
    try:
        for mbid, hint, submission, src in iter_documents(path, set(wanted)):
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                raw = src.read_bytes() if isinstance(src, Path) else src.read()
                doc = json.loads(raw)
            except (OSError, ValueError):
                counts["unreadable"] += 1
                continue
            kind = kind_of(doc, hint) if isinstance(doc, dict) else None
            if kind is None or best.get((mbid, kind), submission + 1) <= submission:
                continue
            best[(mbid, kind)] = submission
            values = parse_lowlevel(doc) if kind == "lowlevel" else parse_highlevel(doc)
            counts["documents"] += 1
            counts[kind] += 1
            for tid in wanted[mbid]:
                merge_audio_features(conn, "track", tid, values, PROVIDER, now)
                set_status(conn, "track", tid, "audio", "ok", now=now, provider=PROVIDER)
                updated.add(tid)
            pending += 1
            if pending >= batch:
                trans.commit()
                trans = conn.begin()
                pending = 0
                yield Progress(
                    len(updated), counts["tracks_with_mbid"], f"AcousticBrainz: {len(updated)} tracks"
                )
        trans.commit()
    except BaseException:
        trans.rollback()
        raise
    finally:
        conn.close()
    counts["tracks_updated"] = len(updated)
    yield Progress(len(updated), counts["tracks_with_mbid"], f"AcousticBrainz: {len(updated)} tracks updated")
    return counts
