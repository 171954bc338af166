"""The session-item row: identical in training and scoring; validation never reaches past the training span."""

from __future__ import annotations

import numpy as np

from models.base import TrainData
from models.data import session_starts
from models.graph.session_rows import (
    Rows,
    RowSpec,
    RowState,
    Vocab,
    make_row,
    next_targets,
    training_rows,
)
from models.graph.validation import Validation


def _state_after(spec: RowSpec, data, end: int) -> RowState:
    return RowState.from_history(spec, data.items[: end + 1], data.played_at[: end + 1])


def _start_gap_sessions(data: TrainData) -> TrainData:
    """The same plays with sessions split by the start-to-start gap rule that scoring states use."""
    session = np.cumsum(session_starts(data.played_at)) - 1
    return TrainData(data.space, data.items, data.played_at, session.astype(np.int64), seed=data.seed)


def test_training_rows_equal_scoring_rows(small_cut):
    """Every training row is exactly the row the scoring state holds right after that play (given the
    same session rule; whether TrainData.session follows it is the next test)."""
    data = _start_gap_sessions(small_cut.data)
    spec = RowSpec(window=20, context_sessions=1, decay=0.5, recency=0.7, stride=3)
    vocab = Vocab.from_counts(data)
    rows = training_rows(spec, data, vocab)
    assert len(rows.rows) > len(data.sessions())
    for r in np.linspace(0, len(rows.rows) - 1, 60).astype(int):
        idx, w = make_row(spec, _state_after(spec, data, int(rows.end[r])).sessions, vocab)
        one = rows.rows.take(np.array([r]))
        np.testing.assert_array_equal(one.indices, idx)
        np.testing.assert_allclose(one.weights, w)


def test_sequence_sessions_follow_the_start_gap_rule(small_cut):
    data = small_cut.data
    np.testing.assert_array_equal(
        np.concatenate([[True], np.diff(data.session) > 0]), session_starts(data.played_at)
    )


def test_incremental_state_matches_bulk_state(small_cut):
    data = small_cut.data
    spec = RowSpec(context_sessions=2)
    state = RowState.from_history(spec, data.items[:100], data.played_at[:100])
    for p in range(100, 400):
        state.push(spec, int(data.items[p]), int(data.played_at[p]))
    bulk = RowState.from_history(spec, data.items[:400], data.played_at[:400])
    assert state.sessions == bulk.sessions
    copy = state.copy()
    copy.push(spec, 0, int(data.played_at[399]) + 10)
    assert state.sessions != copy.sessions  # snapshots are independent


def test_row_weights_follow_recency_and_decay():
    spec = RowSpec(window=10, context_sessions=1, decay=0.25, recency=0.5)
    vocab = Vocab(np.arange(10), 10)
    idx, w = make_row(spec, [[7, 8], [1, 2, 3]], vocab)
    got = dict(zip(idx.tolist(), w.tolist(), strict=True))
    assert got == {1: 0.25, 2: 0.5, 3: 1.0, 7: 0.25, 8: 0.25}
    # unknown (-1) and out-of-vocabulary items are dropped
    small = Vocab(np.array([3]), 10)
    idx, w = make_row(spec, [[-1, 3, 5]], small)
    assert idx.tolist() == [0] and w.tolist() == [0.5]  # 3 was the second-latest play


def test_rows_take_and_dense():
    rows = Rows.stack(
        [
            (np.array([1, 5]), np.ones(2, np.float32)),
            (np.array([2]), np.full(1, 0.5, np.float32)),
            (np.empty(0, np.int64), np.empty(0, np.float32)),
        ]
    )
    sub = rows.take(np.array([1, 0, 2]))
    assert sub.indptr.tolist() == [0, 1, 3, 3]
    assert sub.indices.tolist() == [2, 1, 5]
    assert sub.dense(6)[1].tolist() == [0, 1, 0, 0, 0, 1]


def test_next_targets_stop_at_limit(small_cut):
    data = small_cut.data
    vocab = Vocab.from_counts(data)
    out = next_targets(data, vocab, np.array([0, 10]), horizon=3, decay=0.5, limit=12)
    first = dict(
        zip(out.take(np.array([0])).indices.tolist(), out.take(np.array([0])).weights.tolist(), strict=True)
    )
    assert first[int(vocab.pos[data.items[1]])] == 1.0
    assert len(out.take(np.array([1])).indices) == 1  # only play 11 lies before the limit


def test_validation_holds_out_the_end_of_the_training_span(small_cut):
    data = small_cut.data
    spec = RowSpec()
    vocab = Vocab.from_counts(data)
    val = Validation(spec, data, vocab, max_targets=10_000)
    n = len(data.sessions())
    assert val.n_val_sessions == round(0.1 * n)
    assert val.first_target == sum(len(s) for s in data.sessions()[: n - val.n_val_sessions])
    assert val.targets.size == data.items.size - val.first_target
    # a model that knows the answers scores 1; the test span is not part of TrainData at all
    truth = data.items[val.first_target :]
    oracle = val.evaluate(lambda rows: np.zeros((len(rows), len(vocab)), np.float32))
    assert oracle["hr"] == 0.0  # all ties count against the target
    order = iter(range(truth.size))

    def perfect(rows: Rows) -> np.ndarray:
        out = np.zeros((len(rows), len(vocab)), np.float32)
        for r in range(len(rows)):
            out[r, vocab.pos[truth[next(order)]]] = 1.0
        return out

    assert val.evaluate(perfect, batch=10_000)["hr"] == 1.0
