"""The catalogue refresh as a named job (``catalogue`` on resource ``catalogue:<account>``), for the
runner, the schedule and ``segue jobs``. The body is a plain generator function."""

from __future__ import annotations

from collections.abc import Generator

from core.jobs import Progress

JOB = "catalogue"


def refresh(
    ctx, account: str, sources: list[str] | None = None, force: bool = False
) -> Generator[Progress, None, object]:
    """Refresh ``account``'s discovery catalogue (``core.catalogue.refresh``)."""
    from core.catalogue.refresh import refresh_catalogue

    return (yield from refresh_catalogue(ctx.store, account, sources=sources, force=force, cancel=ctx.cancel))


def register_catalogue_job(registry) -> None:
    registry.register(
        JOB,
        refresh,
        resource="catalogue:{account}",
        params=("account", "sources?", "force?"),
        description="discovery catalogue: candidates from other accounts, open tables, Last.fm, ListenBrainz",
    )
