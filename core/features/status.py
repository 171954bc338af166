"""Feature coverage of an account: ``segue features status --account NAME --json``.

Counted over the account's distinct tracks. ``modalities`` (the top-level contract) counts each track
by the status row at the modality's natural level: the track itself for tags, lyrics, audio and ids
(a Last.fm track whose tags came from its artist is ``ok`` there, provider ``lastfm:artist``), the
track's album for art (a track without an album counts as missing: there is nothing to look up) and
its artist for bio. No row, ``pending`` or ``offline`` count as pending. For length, a track whose
``duration_ms`` is known (from its import, MusicBrainz, the user's files or Last.fm) is ``ok`` whatever
its status row says: that is the length sessions use.

``with_artist_fallback`` recounts tags and audio crediting a track whose artist has an ``ok``
artist-level row (artist tag lists, data_by_artist, table means) — what the models' artist fallback
can use. ``embeddings`` counts the account's tracks with a stored vector of each kind (``track``) and
with the artist's vector as fallback (``with_artist``).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine, func, select

from core.features.embeddings.store import GLOBAL, account_scope
from core.features.providers.base import MODALITIES
from core.store.schema import Embedding, FeatureStatus, Scrobble, Track

LEVEL = {"art": "album", "bio": "artist"}
FALLBACK = ("tags", "audio")
BUCKETS = ("ok", "missing", "error", "pending")
EMBEDDING_KINDS = ("lyrics", "bio", "tags", "audio", "w2v")


def _bucket(status: str | None) -> str:
    return status if status in ("ok", "missing", "error") else "pending"


def account_tracks(engine: Engine, account_id: int) -> list[tuple[int, int, int | None]]:
    """(track id, artist id, album id) of every distinct track the account played."""
    album = func.max(func.coalesce(Scrobble.album_id, Track.album_id))
    stmt = (
        select(Track.id, Track.artist_id, album)
        .join(Scrobble, Scrobble.track_id == Track.id)
        .where(Scrobble.account_id == account_id)
        .group_by(Track.id, Track.artist_id)
    )
    with engine.connect() as conn:
        return [(int(t), int(a), None if b is None else int(b)) for t, a, b in conn.execute(stmt)]


def _statuses(engine: Engine) -> dict[tuple[str, str], dict[int, str]]:
    """(modality, item_kind) → {item id: status}."""
    out: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    stmt = select(
        FeatureStatus.modality, FeatureStatus.item_kind, FeatureStatus.item_id, FeatureStatus.status
    )
    with engine.connect() as conn:
        for m, k, i, s in conn.execute(stmt):
            out[(m, k)][int(i)] = s
    return out


def _with_length(engine: Engine, track_ids: list[int]) -> set[int]:
    wanted = set(track_ids)
    stmt = select(Track.id).where(Track.duration_ms.isnot(None))
    with engine.connect() as conn:
        return {int(t) for t in conn.execute(stmt).scalars() if int(t) in wanted}


def _embedded(engine: Engine, kind: str, scope: str, item_kind: str) -> set[int]:
    stmt = select(Embedding.item_id).where(
        Embedding.kind == kind, Embedding.scope == scope, Embedding.item_kind == item_kind
    )
    with engine.connect() as conn:
        return set(conn.execute(stmt).scalars())


def feature_status(engine: Engine, account_id: int) -> dict:
    tracks = account_tracks(engine, account_id)
    st = _statuses(engine)
    modalities = list(MODALITIES) + sorted({m for m, _ in st} - set(MODALITIES))
    top: dict[str, dict[str, int]] = {}
    fallback: dict[str, dict[str, int]] = {}
    for m in modalities:
        level = LEVEL.get(m, "track")
        rows = st.get((m, level), {})
        if m == "length":
            rows = {**rows, **dict.fromkeys(_with_length(engine, [t for t, _, _ in tracks]), "ok")}
        counts = dict.fromkeys(BUCKETS, 0)
        for t, a, b in tracks:
            if level == "album" and b is None:
                counts["missing"] += 1
                continue
            counts[_bucket(rows.get({"track": t, "artist": a, "album": b}[level]))] += 1
        top[m] = counts
        if m in FALLBACK:
            artist_rows = st.get((m, "artist"), {})
            fb = dict.fromkeys(BUCKETS, 0)
            for t, a, _ in tracks:
                own = _bucket(rows.get(t))
                fb["ok" if own == "ok" or artist_rows.get(a) == "ok" else own] += 1
            fallback[m] = fb
    emb: dict[str, dict[str, int]] = {}
    for kind in EMBEDDING_KINDS:
        scope = account_scope(account_id) if kind == "w2v" else GLOBAL
        on_track = _embedded(engine, kind, scope, "track")
        on_artist = _embedded(engine, kind, scope, "artist")
        emb[kind] = {
            "track": sum(t in on_track for t, _, _ in tracks),
            "with_artist": sum(t in on_track or a in on_artist for t, a, _ in tracks),
        }
    return {"tracks": len(tracks), "modalities": top, "with_artist_fallback": fallback, "embeddings": emb}
