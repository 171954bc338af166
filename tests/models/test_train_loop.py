"""The one torch training loop: early stopping with the best state put back, budgets, cancel, progress,
and warm starts (fine-tuning from saved weights)."""

from __future__ import annotations

import pytest

from core.jobs import Cancelled, CancelToken
from models.train_loop import Budget, fit_epochs, step_epoch

torch = pytest.importorskip("torch")


def problem(seed: int = 0):
    """A tiny regression: y = 3x; the net is one weight."""
    torch.manual_seed(seed)
    x = torch.linspace(-1, 1, 64).unsqueeze(1)
    net = torch.nn.Linear(1, 1, bias=False)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)

    def batches(_epoch):
        for i in range(0, 64, 16):
            yield ((net(x[i : i + 16]) - 3 * x[i : i + 16]) ** 2).mean()

    return net, opt, batches


def test_early_stopping_puts_back_the_best_epoch():
    net, opt, batches = problem()
    scores = iter([0.1, 0.5, 0.4, 0.3, 0.2, 0.9])  # best after epoch 2, then three worse epochs
    weights = []

    def validate():
        weights.append(float(net.weight.detach()))
        return {"ndcg@10": next(scores)}

    events = []
    log = fit_epochs(
        "toy",
        net,
        opt,
        batches,
        max_epochs=6,
        budget=Budget(1e6),
        validate=validate,
        patience=3,
        progress=events.append,
    )
    assert (log.epochs, log.best_epoch, log.best, log.stopped) == (5, 2, 0.5, "early stop")
    assert float(net.weight.detach()) == weights[1], "the best epoch's weights are restored"
    assert [e.done for e in events] == [1, 2, 3, 4, 5] and all(e.total == 6 for e in events)
    assert "validation NDCG@10 0.5000" in events[1].message


def test_validate_start_keeps_the_starting_weights_when_no_epoch_beats_them():
    net, opt, batches = problem()
    start = float(net.weight.detach())
    scores = iter([0.6, 0.5, 0.4])  # the weights as they were score best
    log = fit_epochs(
        "toy",
        net,
        opt,
        batches,
        max_epochs=5,
        budget=Budget(1e6),
        validate=lambda: {"ndcg@10": next(scores)},
        patience=2,
        validate_start=True,
    )
    assert (log.epochs, log.best_epoch, log.best, log.stopped) == (2, 0, 0.6, "early stop")
    assert float(net.weight.detach()) == start
    assert [h["epoch"] for h in log.history] == [0, 1, 2]


def test_minimising_a_metric_and_min_epochs():
    net, opt, batches = problem()
    losses = iter([1.0, 2.0, 3.0, 4.0, 5.0])
    log = fit_epochs(
        "toy",
        net,
        opt,
        batches,
        max_epochs=5,
        budget=Budget(1e6),
        validate=lambda: {"ce": next(losses)},
        metric="ce",
        maximize=False,
        patience=1,
        min_epochs=4,
    )
    assert (log.epochs, log.best_epoch, log.stopped) == (4, 1, "early stop")
    assert log.as_params()["val_ce"] == 1.0


def test_without_validation_it_runs_every_epoch_and_learns():
    net, opt, batches = problem()
    log = fit_epochs("toy", net, opt, batches, max_epochs=30, budget=Budget(1e6))
    assert (log.epochs, log.best_epoch, log.stopped) == (30, 30, "max epochs")
    assert abs(float(net.weight.detach()) - 3.0) < 0.05
    assert log.history[-1]["loss"] < log.history[0]["loss"]


def test_a_spent_budget_stops_between_or_inside_epochs():
    net, opt, batches = problem()
    log = fit_epochs("toy", net, opt, batches, max_epochs=50, budget=Budget(0.0, clock="wall"))
    assert log.epochs == 1 and log.stopped == "time budget"
    result = step_epoch(net, opt, batches(1), cancel=CancelToken(), budget=Budget(-1.0))
    assert result.cut and result.batches == 0


def test_cancel_is_checked_before_every_batch():
    net, opt, batches = problem()
    cancel = CancelToken()

    def cancelling(epoch):
        for i, loss in enumerate(batches(epoch)):
            if i == 1:
                cancel.cancel()
            yield loss

    with pytest.raises(Cancelled):
        fit_epochs("toy", net, opt, cancelling, max_epochs=5, budget=Budget(1e6), cancel=cancel)


def test_fine_tuning_starts_from_saved_weights():
    """The hook for warm starts: ``init_state`` (e.g. the saved model's weights), a few epochs."""
    trained, opt, batches = problem()
    fit_epochs("toy", trained, opt, batches, max_epochs=30, budget=Budget(1e6))
    saved = {k: v.detach().clone() for k, v in trained.state_dict().items()}

    fresh, opt2, batches2 = problem(seed=1)
    before = float(fresh.weight.detach())
    first_loss = []
    fit_epochs(
        "toy",
        fresh,
        opt2,
        lambda e: batches2(e),
        max_epochs=1,
        budget=Budget(1e6),
        init_state=saved,
        progress=lambda p: first_loss.append(p.message),
    )
    assert abs(before - 3.0) > 0.5 and abs(float(fresh.weight.detach()) - 3.0) < 0.05
    assert "loss 0.00" in first_loss[0], "the first epoch already starts from the trained weights"
