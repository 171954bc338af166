"""Long work as generators: ``Progress`` events, a cancel token, and the one runner that drives them.

A job is a generator yielding ``Progress`` that returns its result (``StopIteration.value``). It
checks its ``CancelToken`` between units of work and raises ``Cancelled`` when asked to stop, after
leaving the store consistent. ``run_job`` drives one directly (the CLI's one-off commands, tests);
``core.jobs.runner.Runner`` queues named and ephemeral jobs for the GUI (through ``app/jobs.py``),
the schedule and ``segue jobs``. Modules: ``progress`` (events, token, driver, throttle),
``registry`` (named job bodies), ``builtin`` (the jobs core registers), ``runner`` (queues),
``isolate`` + ``wire`` (child-process jobs), ``history`` (job_run rows), ``scheduler`` (APScheduler).
"""

from core.jobs.progress import THROTTLE_S, Cancelled, CancelToken, Progress, Throttle, run_job

__all__ = ["THROTTLE_S", "Cancelled", "CancelToken", "Progress", "Throttle", "run_job"]
