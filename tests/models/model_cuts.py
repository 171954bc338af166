"""Real cuts of a listening history, built through the product path (used by tests/models/conftest.py
and the model tests; a uniquely named module: ``from conftest import`` would pick up whichever
conftest.py another test folder put first on sys.path).

Source: ../shared/data/listening/lastfm-exports/aleex-cs__aleex_cs.csv (aleex-cs/streamlit-stats-app,
ghan.nl export; licence none: tests only). The file lists plays newest first, so a head cut is the
listener's most recent N plays.

- History: the file goes through the product importer (``models.evaluation.datasets.import_into``)
  into a throwaway store; ``models.data.build_sequence`` collapses and sessionises it and
  ``models.evaluation.splits.test_split`` holds out the last 10% as next-item targets (``Cut``).
- Features: the shared audio and tag tables (``models.features.shared_feature_tables``) imported with
  ``core.features.tables.import_table``, read back with ``models.features.load_item_features``. Only
  the modalities that need no training are present (``audio_raw``, ``tag_weights``): no acoustic VAE,
  no MiniLM, no Word2Vec here.
- Scoring: ``hit_rate`` walks the targets with the evaluation harness (``rank_targets``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from testpaths import LISTENING, SHARED

from models.base import ItemSpace, TrainData
from models.data import PlaySequence
from models.evaluation.splits import Split, test_split

ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"
CUT_PLAYS = 3000
SMALL_SHARE = 2500 / 6001  # the oldest 2,500 of the export's 6,001 scrobbles
FEATURE_KINDS = ("audio", "tags")  # lyrics would need MiniLM to become a modality


def write_cut(src: Path, dest: Path, n: int) -> Path:
    lines = src.read_text(encoding="utf-8").splitlines()
    dest.write_text("\n".join(lines[: n + 1]) + "\n", encoding="utf-8")  # header + n plays
    return dest


def import_cut(store, folder: Path, account: str, n: int) -> None:
    from models.evaluation.datasets import import_into

    import_into(store, [write_cut(ALEEX, folder / f"{account}.csv", n)], account)


def import_feature_tables(store, account: str) -> None:
    """The shared audio and tag tables, matched against ``account``'s tracks."""
    from core.features.tables import import_table
    from core.jobs import run_job
    from models.features import shared_feature_tables

    for path, kind in shared_feature_tables(SHARED):
        if kind in FEATURE_KINDS:
            run_job(import_table(store, path, kind, account=account))


@dataclass
class Cut:
    """An account's collapsed sequence, fitted on the span before ``split.start`` (``data``)."""

    sequence: PlaySequence
    split: Split
    data: TrainData

    @property
    def space(self) -> ItemSpace:
        return self.sequence.space

    @property
    def test_items(self) -> np.ndarray:
        return self.sequence.items[self.split.start :]

    @property
    def test_times(self) -> np.ndarray:
        return self.sequence.played_at[self.split.start :]


def history_cut(engine, account: str, upto: float | None = None, seed: int = 0) -> Cut:
    """``account``'s history (its earliest ``upto`` share when given) with the test split."""
    from core.store.queries import account_by_name
    from models.data import build_sequence

    seq = build_sequence(engine, account_by_name(engine, account).id, upto=upto)
    split = test_split(len(seq))
    return Cut(seq, split, seq.prefix(split.start, seed))


def hit_rate(model, cut: Cut, k: int = 10) -> float:
    """HR@k over the cut's test targets, walked by the evaluation harness (full ranking)."""
    from models.evaluation.harness import rank_targets
    from models.evaluation.metrics import hit_rate as hr

    run = rank_targets(model, cut.sequence.items, cut.sequence.played_at, cut.split.start)
    return float(hr(run.ranks, k))


def random_hr(cut: Cut, k: int = 10) -> float:
    """Expected HR@k of a uniformly random full ranking over the space."""
    return k / len(cut.space)


def all_missing(n_items: int, modalities, dim: int = 8):
    """Features naming ``modalities`` with every mask False (and the data zeroed, which must not matter)."""
    from models.features import StaticItemFeatures

    return StaticItemFeatures(
        n_items, {m: (np.zeros((n_items, dim), np.float32), np.zeros(n_items, bool)) for m in modalities}
    )


def listeners_store(folder: Path, listeners: dict[str, Path]):
    """A throwaway store with each real history imported as its own account (through the product
    importer); skips the test when the shared data is missing."""
    import pytest

    from core.store.engine import open_store
    from models.evaluation.datasets import import_into

    missing = [p for p in listeners.values() if not p.exists()]
    if missing:
        pytest.skip(f"shared data not found: {missing[0]}")
    store = open_store(f"sqlite:///{folder / 'real.sqlite'}")
    for account, path in listeners.items():
        import_into(store, [path], account)
    return store
