"""ItemFeatures from the store: the one interface models use for content features.

``load_item_features(engine, space, account=...)`` returns a ``StoreItemFeatures`` aligned with
``space`` (row i = ``space.track_ids[i]``). Every modality is ``matrix(m) -> (float32 [n, dim], bool
[n] mask)``; rows without the modality are all-zero *and* False in the mask — a consumer must use
the mask, the zeros carry no meaning. Modalities (``modalities()`` lists the ones with ≥ 1 item):

- ``audio_raw``  11 standardised Spotify-style features (core.features.embeddings.audio: log
  duration, z-score over all stored rows, clipped ±5). An item is present when ≥ 1 feature is known;
  unknown single features are 0 with ``column_mask("audio_raw")`` False.
- ``audio``      acoustic VAE latent mean (150-d) of those features.
- ``lyrics``     MiniLM sentence embedding of the lyrics, PCA to 150 (track level only).
- ``bio``        MiniLM sentence embedding of the artist's bio, PCA to 150 (always artist level).
- ``tags``       weighted mean of tag Word2Vec vectors (150-d) of the item's tags.
- ``tag_weights`` dense [n, N] weights over the N most frequent tags among the space's items
  (``columns("tag_weights")`` names them); each item's top tag weighs 1.0.
- ``w2v``        gensim CBOW track vectors (150-d) from the account's sessions (all of its plays —
  for evaluation use ``w2v_from_sessions`` on the training sessions to avoid seeing the test span).

Artist-level fallback: for ``audio_raw``, ``audio``, ``tags`` and ``tag_weights`` an item without
track-level data takes its artist's row (artist tables such as data_by_artist, Last.fm artist tags,
or the mean of a table's rows for that artist); ``level(m)`` says which: 0 absent, 1 track, 2 artist.
``artist_fallback=False`` keeps track-level rows only. ``bio`` is level 2 by nature.

``prepare_account_features(store, account, tables=shared_feature_tables(SHARED))`` imports feature
tables and builds every embedding for an account in one call (a job generator; drive it with
``core.jobs.run_job``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, func, select

from core.jobs import CancelToken, Progress
from core.store.schema import Scrobble, Track
from models.base import ItemSpace

MODALITIES = ("audio_raw", "audio", "lyrics", "bio", "tags", "tag_weights", "w2v")
ABSENT, TRACK_LEVEL, ARTIST_LEVEL = 0, 1, 2
DEFAULT_TAG_VOCAB = 500


@dataclass
class ModalityMatrix:
    matrix: np.ndarray  # float32 [n, dim]
    mask: np.ndarray  # bool [n]
    level: np.ndarray  # int8 [n]: 0 absent, 1 track level, 2 artist level
    columns: list[str] | None = None
    column_mask: np.ndarray | None = None  # bool [n, dim] for audio_raw


class StaticItemFeatures:
    """ItemFeatures over in-memory matrices (also handy for tests of models)."""

    def __init__(
        self, n_items: int, data: dict[str, ModalityMatrix | tuple[np.ndarray, np.ndarray]] | None = None
    ):
        self.n_items = int(n_items)
        self._data: dict[str, ModalityMatrix] = {}
        for name, value in (data or {}).items():
            self.set(name, value)

    def set(self, name: str, value: ModalityMatrix | tuple[np.ndarray, np.ndarray]) -> None:
        if not isinstance(value, ModalityMatrix):
            mat, mask = value
            mask = np.asarray(mask, bool)
            value = ModalityMatrix(np.array(mat, np.float32), mask, mask.astype(np.int8))
        if value.matrix.shape[0] != self.n_items or value.mask.shape != (self.n_items,):
            raise ValueError(f"{name}: expected {self.n_items} rows, got {value.matrix.shape}")
        value.matrix[~value.mask] = 0.0
        self._data[name] = value

    def _get(self, modality: str) -> ModalityMatrix:
        if modality not in self._data:
            raise KeyError(f"unknown modality {modality!r}; known: {', '.join(MODALITIES)}")
        return self._data[modality]

    def modalities(self) -> list[str]:
        return [m for m in self._data if self._data[m].mask.any()]

    def matrix(self, modality: str) -> tuple[np.ndarray, np.ndarray]:
        d = self._get(modality)
        return d.matrix, d.mask

    def level(self, modality: str) -> np.ndarray:
        return self._get(modality).level

    def columns(self, modality: str) -> list[str] | None:
        return self._get(modality).columns

    def column_mask(self, modality: str) -> np.ndarray:
        d = self._get(modality)
        return (
            d.column_mask if d.column_mask is not None else np.repeat(d.mask[:, None], d.matrix.shape[1], 1)
        )

    def dim(self, modality: str) -> int:
        return int(self._get(modality).matrix.shape[1])

    def coverage(self) -> dict[str, dict[str, int]]:
        """Per modality: items present at track level, at artist level, absent."""
        return {
            m: {
                "track": int((d.level == TRACK_LEVEL).sum()),
                "artist": int((d.level == ARTIST_LEVEL).sum()),
                "absent": int((~d.mask).sum()),
            }
            for m, d in self._data.items()
        }


class StoreItemFeatures(StaticItemFeatures):
    """Loads each modality from the store on first use."""

    def __init__(
        self,
        engine: Engine,
        space: ItemSpace,
        *,
        account_id: int | None,
        artist_fallback: bool = True,
        tag_vocab: int = DEFAULT_TAG_VOCAB,
        w2v_scope: str | None = None,
    ):
        super().__init__(len(space))
        self.engine = engine
        self.track_ids = np.asarray(space.track_ids, np.int64)
        self.account_id = account_id
        self.artist_fallback = artist_fallback
        self.tag_vocab = tag_vocab
        self.w2v_scope = w2v_scope
        self.artist_ids = _artist_ids(engine, self.track_ids)

    def _get(self, modality: str) -> ModalityMatrix:
        if modality not in self._data:
            if modality not in MODALITIES:
                raise KeyError(f"unknown modality {modality!r}; known: {', '.join(MODALITIES)}")
            self.set(modality, getattr(self, f"_load_{modality}")())
        return self._data[modality]

    def modalities(self) -> list[str]:
        return [m for m in MODALITIES if self._get(m).mask.any()]

    def load_all(self) -> StoreItemFeatures:
        for m in MODALITIES:
            self._get(m)
        return self

    # -- loaders ----------------------------------------------------------------------------
    def _place(
        self, dim: int, sources: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]
    ) -> ModalityMatrix:
        """Fill rows from (keys of each item, ids, vectors, level) sources in priority order."""
        n = len(self.track_ids)
        mat = np.zeros((n, dim), np.float32)
        level = np.zeros(n, np.int8)
        for keys, ids, vecs, lvl in sources:
            if not ids.size:
                continue
            pos = {int(i): r for r, i in enumerate(ids.tolist())}
            for row, key in enumerate(keys.tolist()):
                if level[row] == ABSENT and key in pos:
                    mat[row] = vecs[pos[key]]
                    level[row] = lvl
        return ModalityMatrix(mat, level > 0, level)

    def _vectors(
        self,
        kind: str,
        scope: str = "",
        fallback: bool = True,
        only_artist: bool = False,
        default_dim: int = 150,
    ) -> ModalityMatrix:
        from core.features.embeddings.store import load_vectors

        sources = []
        if not only_artist:
            ids, vecs = load_vectors(self.engine, kind, scope, "track")
            sources.append((self.track_ids, ids, vecs, TRACK_LEVEL))
        if fallback:
            ids, vecs = load_vectors(self.engine, kind, scope, "artist")
            sources.append((self.artist_ids, ids, vecs, ARTIST_LEVEL))
        dims = [s[2].shape[1] for s in sources if s[1].size]
        return self._place(dims[0] if dims else default_dim, sources)

    def _load_audio_raw(self) -> ModalityMatrix:
        from core.features.embeddings.audio import AUDIO_FEATURES, AudioStats, load_audio_rows

        kinds, ids, raw = load_audio_rows(self.engine)
        stats = AudioStats.fit(raw)
        z, known = stats.apply(raw)
        sources = [
            (
                self.track_ids,
                ids[kinds == "track"],
                np.concatenate([z, known], 1)[kinds == "track"],
                TRACK_LEVEL,
            )
        ]
        if self.artist_fallback:
            sources.append(
                (
                    self.artist_ids,
                    ids[kinds == "artist"],
                    np.concatenate([z, known], 1)[kinds == "artist"],
                    ARTIST_LEVEL,
                )
            )
        d = len(AUDIO_FEATURES)
        both = self._place(2 * d, sources)
        colmask = both.matrix[:, d:] > 0.5
        present = colmask.any(1)
        return ModalityMatrix(
            both.matrix[:, :d].copy(),
            present,
            np.where(present, both.level, 0).astype(np.int8),
            list(AUDIO_FEATURES),
            colmask,
        )

    def _load_audio(self) -> ModalityMatrix:
        return self._vectors("audio", fallback=self.artist_fallback)

    def _load_lyrics(self) -> ModalityMatrix:
        return self._vectors("lyrics", fallback=False)

    def _load_bio(self) -> ModalityMatrix:
        return self._vectors("bio", only_artist=True)

    def _load_tags(self) -> ModalityMatrix:
        return self._vectors("tags", fallback=self.artist_fallback)

    def _load_w2v(self) -> ModalityMatrix:
        from core.features.embeddings.store import account_scope

        scope = self.w2v_scope
        if scope is None:
            account = (
                self.account_id
                if self.account_id is not None
                else _infer_account(self.engine, self.track_ids)
            )
            if account is None:
                return self._place(150, [])
            scope = account_scope(account)
        return self._vectors("w2v", scope=scope, fallback=False)

    def _load_tag_weights(self) -> ModalityMatrix:
        from core.features.embeddings.tagdata import load_item_tags

        tags = load_item_tags(self.engine)
        n = len(self.track_ids)
        per_item: list[dict[str, float] | None] = [None] * n
        level = np.zeros(n, np.int8)
        for row, (t, a) in enumerate(zip(self.track_ids.tolist(), self.artist_ids.tolist(), strict=True)):
            if ("track", t) in tags:
                per_item[row], level[row] = tags[("track", t)], TRACK_LEVEL
            elif self.artist_fallback and ("artist", a) in tags:
                per_item[row], level[row] = tags[("artist", a)], ARTIST_LEVEL
        df = Counter(k for d in per_item if d for k in d)
        vocab = [k for k, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[: self.tag_vocab]]
        col = {k: j for j, k in enumerate(vocab)}
        mat = np.zeros((n, len(vocab)), np.float32)
        for row, d in enumerate(per_item):
            if d:
                for k, w in d.items():
                    j = col.get(k)
                    if j is not None:
                        mat[row, j] = w
        present = mat.any(1)  # items whose tags all fall outside the vocabulary count as absent
        return ModalityMatrix(mat, present, np.where(present, level, 0).astype(np.int8), vocab)


def _artist_ids(engine: Engine, track_ids: np.ndarray) -> np.ndarray:
    """Store artist id of each track (-1 when the track is unknown to the store)."""
    out = np.full(track_ids.size, -1, np.int64)
    ids = [int(t) for t in track_ids.tolist()]
    found: dict[int, int] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            found.update(
                conn.execute(select(Track.id, Track.artist_id).where(Track.id.in_(ids[i : i + 500]))).all()
            )
    for r, t in enumerate(ids):
        out[r] = found.get(t, -1)
    return out


def _infer_account(engine: Engine, track_ids: np.ndarray) -> int | None:
    """The account with the most plays of these tracks (when the caller did not say)."""
    counts: Counter[int] = Counter()
    ids = [int(t) for t in track_ids.tolist()]
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            for acc, n in conn.execute(
                select(Scrobble.account_id, func.count())
                .where(Scrobble.track_id.in_(ids[i : i + 500]))
                .group_by(Scrobble.account_id)
            ):
                counts[acc] += n
    return counts.most_common(1)[0][0] if counts else None


def _account_id(engine: Engine, account: int | str | None) -> int | None:
    if account is None or isinstance(account, int):
        return account
    from core.store.queries import account_by_name

    info = account_by_name(engine, account)
    if info is None:
        raise KeyError(f"no account named {account!r}")
    return info.id


def load_item_features(
    engine: Engine,
    space: ItemSpace,
    *,
    account: int | str | None = None,
    artist_fallback: bool = True,
    tag_vocab: int = DEFAULT_TAG_VOCAB,
) -> StoreItemFeatures:
    """Content features for ``space`` from the store (lazy: each modality is read on first use).

    ``account`` (id or name) picks the Word2Vec scope; when omitted it is the account with the most
    plays of the space's tracks.
    """
    return StoreItemFeatures(
        engine,
        space,
        account_id=_account_id(engine, account),
        artist_fallback=artist_fallback,
        tag_vocab=tag_vocab,
    )


def w2v_from_sessions(
    sessions: Sequence[np.ndarray],
    n_items: int,
    *,
    dim: int = 150,
    seed: int = 0,
    epochs: int = 10,
    window: int = 5,
) -> ModalityMatrix:
    """CBOW vectors trained on ``sessions`` of dense item indices (e.g. ``TrainData.sessions()``), so a
    model initialised from them has never seen the test span. Items not in any session are absent."""
    from core.features.embeddings.w2v import train_word2vec

    ids, vecs = train_word2vec(
        [list(map(int, s)) for s in sessions], dim=dim, seed=seed, epochs=epochs, window=window
    )
    mat = np.zeros((n_items, dim), np.float32)
    mask = np.zeros(n_items, bool)
    ok = (ids >= 0) & (ids < n_items)
    mat[ids[ok]] = vecs[ok]
    mask[ids[ok]] = True
    return ModalityMatrix(mat, mask, mask.astype(np.int8))


def shared_feature_tables(shared: str | Path) -> list[tuple[Path, str]]:
    """[(path, kind)] of the real feature tables under a ``../shared`` checkout, in import order (track
    tables before artist tables; HetRec before edelgrace's own artist tags, which then win for her
    artists). Missing files are left out."""
    root = Path(shared)
    feats, edel = root / "data" / "features", root / "data" / "listening" / "edelgrace"
    audio = feats / "audio"
    tables = [
        *[
            (audio / "spotify-hit-predictor" / f"dataset-of-{d}s.csv", "audio")
            for d in ("60", "70", "80", "90", "00", "10")
        ],
        (audio / "musicoset" / "musicoset_songfeatures" / "acoustic_features.csv", "audio"),
        (audio / "spotify-top-hits-2000-2019" / "songs_normalize.csv", "audio"),
        (audio / "spotify-kaggle-160k-aggregates" / "data_by_artist.csv", "audio"),
        (feats / "lyrics" / "lyrics-poplyrics-1k" / "poplyric-1k.parquet", "lyrics"),
        *[
            (p, "lyrics")
            for p in sorted((feats / "lyrics" / "lyrics-song-lyrics-dataset-21-artists").glob("*.csv"))
        ],
        (edel / "lyrics.csv", "lyrics"),
        (feats / "tags" / "hetrec2011-lastfm-2k", "tags"),
        (edel / "artists.csv", "tags"),
    ]
    return [(p, k) for p, k in tables if p.exists()]


def prepare_account_features(
    store,
    account: str,
    *,
    tables: Sequence[tuple[str | Path, str]] = (),
    kinds: Sequence[str] | None = None,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, dict]:
    """Import ``tables`` ([(path, kind)], kind audio|lyrics|tags; matched against ``account``'s tracks)
    and build every embedding for ``account``. Returns {"tables": [...summaries], "embeddings": {...}}."""
    from core.features.embeddings.build import build_embeddings
    from core.features.tables import import_table

    cancel = cancel or CancelToken()
    summaries = []
    for n, (path, kind) in enumerate(tables):
        cancel.raise_if_cancelled()
        yield Progress(n, len(tables), f"importing {Path(path).name}")
        summary = yield from import_table(store, path, kind, account=account, cancel=cancel)
        summaries.append(summary.to_json())
    built = yield from build_embeddings(store, account=account, kinds=kinds, cancel=cancel)
    return {"tables": summaries, "embeddings": built}
