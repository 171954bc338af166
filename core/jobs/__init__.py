"""Long work as generators: ``Progress`` events, a cancel token, and helpers to drive them.

A job is any callable returning a generator that yields ``Progress`` and returns its result
(``StopIteration.value``). It checks its ``CancelToken`` between units of work and raises
``Cancelled`` when asked to stop, after leaving the store consistent. The GUI drives jobs through
``app/jobs.py``; the CLI through ``run_job``; the scheduler through ``core.jobs.runner``.
"""

from core.jobs.progress import Cancelled, CancelToken, Progress, run_job

__all__ = ["Cancelled", "CancelToken", "Progress", "run_job"]
