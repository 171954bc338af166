"""The store's tables (docs/architecture.md §4). Times are Unix seconds UTC in INTEGER columns.

Alembic migrations in ``core/store/migrations`` create exactly these tables; a test checks that the
migrated schema and this metadata agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="local")  # local | lastfm | demo
    username: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(Integer)


class Artist(Base):
    __tablename__ = "artist"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, unique=True)
    mbid: Mapped[str | None] = mapped_column(String(36))


class Album(Base):
    __tablename__ = "album"
    __table_args__ = (UniqueConstraint("artist_id", "name_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id"))
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    mbid: Mapped[str | None] = mapped_column(String(36))


class Track(Base):
    __tablename__ = "track"
    __table_args__ = (UniqueConstraint("artist_id", "name_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id"))
    album_id: Mapped[int | None] = mapped_column(ForeignKey("album.id"))
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    mbid: Mapped[str | None] = mapped_column(String(36))
    isrc: Mapped[str | None] = mapped_column(String(15))
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class Scrobble(Base):
    """One play. ``precision_s`` > 1 marks minute-resolution sources (wider cross-source dedupe)."""

    __tablename__ = "scrobble"
    __table_args__ = (UniqueConstraint("account_id", "played_at", "track_id", name="uq_scrobble_play"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"))
    album_id: Mapped[int | None] = mapped_column(ForeignKey("album.id"))
    played_at: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    ms_played: Mapped[int | None] = mapped_column(Integer)
    precision_s: Mapped[int] = mapped_column(Integer, default=1)


class Skip(Base):
    """A play cut short (Spotify < 30 s): kept for skip statistics, never counted as a play."""

    __tablename__ = "skip"
    __table_args__ = (UniqueConstraint("account_id", "played_at", "track_id", name="uq_skip_play"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"))
    played_at: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    ms_played: Mapped[int | None] = mapped_column(Integer)


class SyncState(Base):
    """Per account and source: watermark (newest committed play), last 14-day re-check, resume cursor."""

    __tablename__ = "sync_state"
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    watermark: Mapped[int | None] = mapped_column(Integer)
    last_full_check: Mapped[int | None] = mapped_column(Integer)
    cursor: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[int | None] = mapped_column(Integer)


class ImportRun(Base):
    __tablename__ = "import_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict] = mapped_column(JSON)


class FeatureStatus(Base):
    """Fetch state of one modality for one item: ok / missing / error (with reason) / pending."""

    __tablename__ = "feature_status"
    item_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # track | artist | album
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    modality: Mapped[str] = mapped_column(String(20), primary_key=True)
    provider: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ItemTag(Base):
    __tablename__ = "item_tag"
    item_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # track | artist
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(200), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    provider: Mapped[str] = mapped_column(String(40))


class Lyrics(Base):
    __tablename__ = "lyrics"
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    synced: Mapped[bool] = mapped_column(Boolean, default=False)
    provider: Mapped[str] = mapped_column(String(40))
    fetched_at: Mapped[int] = mapped_column(Integer)


class AudioFeatures(Base):
    """Spotify-style features; NULL means unknown (never zero). ``level`` is track or artist."""

    __tablename__ = "audio_features"
    item_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    acousticness: Mapped[float | None] = mapped_column(Float)
    danceability: Mapped[float | None] = mapped_column(Float)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    energy: Mapped[float | None] = mapped_column(Float)
    instrumentalness: Mapped[float | None] = mapped_column(Float)
    liveness: Mapped[float | None] = mapped_column(Float)
    loudness: Mapped[float | None] = mapped_column(Float)
    speechiness: Mapped[float | None] = mapped_column(Float)
    tempo: Mapped[float | None] = mapped_column(Float)
    valence: Mapped[float | None] = mapped_column(Float)
    mode: Mapped[float | None] = mapped_column(Float)
    key: Mapped[float | None] = mapped_column(Float)
    provider: Mapped[str] = mapped_column(String(40))
    fetched_at: Mapped[int] = mapped_column(Integer)


class ArtistInfo(Base):
    __tablename__ = "artist_info"
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id"), primary_key=True)
    summary: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[int] = mapped_column(Integer)


class Artwork(Base):
    __tablename__ = "artwork"
    album_id: Mapped[int] = mapped_column(ForeignKey("album.id"), primary_key=True)
    path: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[int] = mapped_column(Integer)


class Embedding(Base):
    """A vector for an item, versioned by the model and a hash of its input so stale ones are rebuilt."""

    __tablename__ = "embedding"
    item_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)  # lyrics | bio | w2v | audio | tags | ...
    # "" for vectors shared by every account; "account:<id>" for per-account ones (w2v from sessions).
    scope: Mapped[str] = mapped_column(String(60), primary_key=True, default="")
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32 little-endian
    model_version: Mapped[str] = mapped_column(String(100))
    input_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(Integer)


class FeatureModel(Base):
    """A fitted feature model (PCA basis, acoustic VAE, tag Word2Vec) as safetensors bytes, so new items
    are encoded with the same model and only a changed fit set triggers a refit."""

    __tablename__ = "feature_model"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    scope: Mapped[str] = mapped_column(String(60), primary_key=True, default="")
    version: Mapped[str] = mapped_column(String(100))
    fit_hash: Mapped[str] = mapped_column(String(64))
    fit_items: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict | None] = mapped_column(JSON)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    fitted_at: Mapped[int] = mapped_column(Integer)


class ModelRun(Base):
    __tablename__ = "model_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # train | eval
    seed: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict | None] = mapped_column(JSON)
    metrics: Mapped[dict | None] = mapped_column(JSON)
    artefact_path: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))  # running | ok | failed | cancelled
    started_at: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[int | None] = mapped_column(Integer)
    plays_at_train: Mapped[int | None] = mapped_column(Integer)


class Feedback(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id"))
    kind: Mapped[str] = mapped_column(String(10))  # like | dismiss
    created_at: Mapped[int] = mapped_column(Integer)
    context: Mapped[dict | None] = mapped_column(JSON)


class InsightConsent(Base):
    __tablename__ = "insight_consent"
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    consented_at: Mapped[int] = mapped_column(Integer)
    text_version: Mapped[str] = mapped_column(String(20))


class QuestionnaireAnswer(Base):
    __tablename__ = "questionnaire_answer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    instrument: Mapped[str] = mapped_column(String(10))  # k10 | hums
    answers: Mapped[list] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    taken_at: Mapped[int] = mapped_column(Integer)


class JobRun(Base):
    __tablename__ = "job_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    resource: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12))  # running | ok | failed | cancelled | interrupted
    counts: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)


class CatalogueFetch(Base):
    """One cached answer of one discovery source for one seed (docs/architecture.md §5b; ``core.catalogue``).

    ``key`` is the normalised seed key (``artist_key`` of the seed artist, ``artist\\ttrack`` keys, a
    tag, ``account:<id>``, ``<kind>:<path>`` of a table). Answers do not depend on the listener, so the
    cache is shared: ``catalogue_seed`` says which listeners follow which fetch. ``status``: pending
    (wanted, not fetched yet) | ok | empty | not_found | error; ``detail`` holds what a source needs to
    tell whether its input changed (a table file's size and mtime, an account's play count).
    """

    __tablename__ = "catalogue_fetch"
    __table_args__ = (UniqueConstraint("source", "key", name="uq_catalogue_fetch"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(Text)
    seed_artist_id: Mapped[int | None] = mapped_column(ForeignKey("artist.id"))
    seed_track_id: Mapped[int | None] = mapped_column(ForeignKey("track.id"))
    seed_tag: Mapped[str | None] = mapped_column(String(200))
    seed_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    fetched_at: Mapped[int] = mapped_column(Integer, default=0)  # when the stored answer arrived (0: never)
    checked_at: Mapped[int] = mapped_column(Integer, default=0)  # the last attempt, failed or not
    ttl_s: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed attempts (backoff)
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict | None] = mapped_column(JSON)
    # The answer's items again, packed (``core.catalogue.cache.ITEM_DTYPE``), written in the same
    # transaction as the catalogue_item rows: loading a 100k-track catalogue reads a few thousand
    # blobs instead of building a Python object per item value.
    packed: Mapped[bytes | None] = mapped_column(LargeBinary)


class CatalogueItem(Base):
    """What an answer lists: a track (``track_id``) or, for artist-level answers, an artist alone."""

    __tablename__ = "catalogue_item"
    fetch_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_fetch.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based position in the answer
    artist_id: Mapped[int] = mapped_column(ForeignKey("artist.id"))
    track_id: Mapped[int | None] = mapped_column(ForeignKey("track.id"))
    score: Mapped[float | None] = mapped_column(Float)  # e.g. Last.fm match 0..1; NULL when none given
    listeners: Mapped[int | None] = mapped_column(Integer)
    playcount: Mapped[int | None] = mapped_column(Integer)


class CatalogueSeed(Base):
    """Which fetches follow which listener, and how strongly the seed stands for them."""

    __tablename__ = "catalogue_seed"
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    fetch_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_fetch.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[float] = mapped_column(Float)
    seeded_at: Mapped[int] = mapped_column(Integer)
