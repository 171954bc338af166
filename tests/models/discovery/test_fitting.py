"""How the discovery blends are chosen on the validation tail (``models.discovery.fitting``)."""

from __future__ import annotations

import numpy as np

from models.discovery.fitting import MIN_SELECT_HITS, SELECTION_CUTOFFS, selection_cutoff


def test_the_selection_cutoff_is_ten_when_the_top_ten_holds_enough_hits():
    ranks = np.concatenate([np.full(MIN_SELECT_HITS, 3.0), np.full(200, 5000.0)])
    assert selection_cutoff([ranks, np.full(210, 9000.0)]) == 10


def test_the_selection_cutoff_grows_until_some_blend_has_enough_hits():
    # first plays of artists over ~45k artists: one or two in the top 10, more by rank 100
    few = np.concatenate([[2.0], np.full(MIN_SELECT_HITS - 1, 80.0), np.full(300, 20_000.0)])
    other = np.concatenate([[7.0, 9.0], np.full(300, 30_000.0)])
    assert selection_cutoff([few, other]) == 100


def test_the_selection_cutoff_stops_at_the_largest_when_nothing_reaches_it():
    assert selection_cutoff([np.full(40, np.inf), np.full(40, 50_000.0)]) == SELECTION_CUTOFFS[-1]
    assert selection_cutoff([]) == SELECTION_CUTOFFS[-1]
