"""Named jobs: a body registered once, with the resource it holds and whether it runs isolated.

A job body is a generator function ``body(ctx: JobContext, **params)`` yielding ``Progress`` and
returning its result; it checks ``ctx.cancel`` between units of work. ``resource`` is a format
string over the parameters (``"sync:{account}"``): the runner keeps one FIFO queue per resource.
``isolate=True`` runs the body in a child process (``core.jobs.isolate``), so a CPU-heavy job never
competes with the GUI thread for the GIL; the body must then be a module-level function (the child
imports it by name) whose parameters and result pickle. ``core`` registers its own jobs
(``core.jobs.builtin``); ``models.jobs`` registers the model jobs; composition roots (the app, the
CLI) call both before they submit.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.jobs.progress import CancelToken, Progress

if TYPE_CHECKING:
    from core.jobs.runner import Runner

JobBody = Callable[..., Generator[Progress, None, Any]]


@dataclass
class JobContext:
    """What a job body gets besides its parameters."""

    store: Any  # core.store.engine.Store (None for a body that needs none)
    cancel: CancelToken
    runner: Runner | None = None  # None inside an isolated child: it cannot submit follow-up jobs


@dataclass(frozen=True)
class JobSpec:
    name: str
    body: JobBody
    resource: str = "{name}"  # format string over the job's params (+ name)
    description: str = ""
    params: tuple[str, ...] = ()  # parameter names for `segue jobs list`; "name?" marks an optional one
    defaults: tuple[tuple[str, Any], ...] = ()  # optional parameters the resource name needs
    isolate: bool = False

    @property
    def target(self) -> str:
        """``module:function`` by which an isolated child finds the body."""
        return f"{self.body.__module__}:{self.body.__qualname__}"

    def resource_for(self, params: dict) -> str:
        try:
            return self.resource.format(name=self.name, **{**dict(self.defaults), **params})
        except KeyError as exc:
            raise ValueError(f"job {self.name!r} needs parameter {exc.args[0]!r}") from None


class JobRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def register(
        self,
        name: str,
        body: JobBody,
        *,
        resource: str = "{name}",
        description: str = "",
        params: tuple[str, ...] = (),
        defaults: dict[str, Any] | None = None,
        isolate: bool = False,
    ) -> JobSpec:
        if isolate and "<locals>" in body.__qualname__:
            raise ValueError(f"job {name!r}: an isolated body must be a module-level function")
        spec = JobSpec(name, body, resource, description, params, tuple((defaults or {}).items()), isolate)
        self._specs[name] = spec
        return spec

    def get(self, name: str) -> JobSpec:
        if name not in self._specs:
            raise KeyError(f"no job named {name!r}; known: {', '.join(sorted(self._specs)) or 'none'}")
        return self._specs[name]

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def specs(self) -> list[JobSpec]:
        return [self._specs[n] for n in sorted(self._specs)]


REGISTRY = JobRegistry()
