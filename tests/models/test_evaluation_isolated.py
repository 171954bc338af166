"""``run_evaluation(isolate=True)``: each (account, model) pair is the ``worker.evaluate_pair`` job in a
child process (``core.jobs.isolate``) — same figures and same error messages as in-process."""

from __future__ import annotations

from core.jobs import run_job
from models.evaluation.runner import run_evaluation

TIMINGS = {"train_seconds", "eval_seconds", "peak_rss_mb", "rss_before_mb"}


def test_isolated_evaluation_matches_in_process(cut_store):
    here = run_job(run_evaluation(cut_store, ["aleex", "one"], ["markov"], [1], isolate=False))
    there = run_job(run_evaluation(cut_store, ["aleex", "one"], ["markov"], [1], isolate=True))
    strip = [{k: v for k, v in r.items() if k not in TIMINGS} for r in here["results"]]
    assert strip == [{k: v for k, v in r.items() if k not in TIMINGS} for r in there["results"]]
    assert len(strip) == 1 and 0 < strip[0]["hr@10"] <= 1
    assert there["results"][0]["peak_rss_mb"] > 0
    # a ModelError raised in the child arrives as itself, with the words it had in-process
    assert here["errors"] == there["errors"] and "too few to evaluate" in there["errors"][0]["error"]
    assert there["errors"][0]["error"].startswith("ModelError: ")
