"""The real-listener dataset list, and one slow end-to-end evaluation on a full real history."""

from __future__ import annotations

import json

import pytest
from testpaths import LISTENING

from core.jobs import run_job
from models.evaluation.datasets import LISTENERS, MIN_PLAYS, import_into, real_listeners


def test_every_listed_history_exists(shared):
    for item in LISTENERS:
        for rel in item.paths:
            assert (LISTENING / rel).exists(), rel


def test_real_listeners_counts_collapsed_plays(cut_store):
    assert real_listeners(cut_store, min_plays=2000) == ["aleex"]
    assert real_listeners(cut_store, min_plays=MIN_PLAYS) == [], "a 3,000-play cut is below the bar"


@pytest.mark.slow
def test_end_to_end_default_keeps_repeats_against_the_simple_baseline(tmp_path, shared):
    """Full djivs history (11k scrobbles, Last.fm export): the JSON contract, and the product claim
    that ``default`` loses nothing on repeat targets against ``markov_recency``."""
    from core.store.engine import open_store
    from models.evaluation.report import summarise
    from models.evaluation.runner import run_evaluation

    store = open_store(f"sqlite:///{tmp_path / 'djivs.sqlite'}")
    import_into(store, [LISTENING / "lastfm-exports" / "djivs__scrobbles.csv"], "djivs")
    doc = run_job(run_evaluation(store, ["djivs"], ["markov_recency", "default"], [1, 2]))
    json.dumps(doc)
    assert not doc["errors"] and len(doc["results"]) == 4
    rows = {r["model"]: r for r in summarise(doc["results"])}
    assert rows["default"]["ndcg@10_repeat"] >= rows["markov_recency"]["ndcg@10_repeat"]
    assert all(r["peak_rss_mb"] > 0 and r["train_seconds"] >= 0 for r in doc["results"])
    store.dispose()
