"""The jobs core provides, registered by name: sync, history import, features, embeddings, the
discovery catalogue, retraining.

Each body is ``body(ctx, **params)`` (``core.jobs.registry``) and is registered once; the CPU-heavy
ones are ``isolate=True`` so that, run from the GUI, their Python work never holds the window's GIL.
``retrain_check`` submits ``train`` (a model job, registered by ``models.jobs``) for every account
with ``settings.retrain_after_plays`` new plays since its last ``default`` training. Training follows
the data: ``follow_new_plays`` (installed on a runner) trains ``default`` after an import or a sync
that added plays, and the discovery ranker after a catalogue refresh that added candidates (the
Suggestions page trains an account it finds with history, or a catalogue, and no usable model),
unless ``settings.train_automatically`` is off.
"""

from __future__ import annotations

import logging
from collections.abc import Generator

from sqlalchemy import func, select

from core.jobs.progress import Progress
from core.jobs.registry import REGISTRY, JobContext, JobRegistry
from core.store.schema import Account, ModelRun, Scrobble

log = logging.getLogger(__name__)


def sync(ctx: JobContext, account: str, username: str | None = None) -> Generator[Progress, None, object]:
    """Last.fm sync of ``account`` (profile ``username``; default: the account's stored one)."""
    from core.sources.lastfm.config import load_config, make_api
    from core.sources.lastfm.sync import sync_account
    from core.store.queries import account_by_name

    if username is None:
        info = account_by_name(ctx.store.engine, account)
        username = (info.username if info and info.username else None) or account
    api = make_api(load_config(account))
    try:
        return (yield from sync_account(ctx.store, account, username, api, cancel=ctx.cancel))
    finally:
        api.close()


def import_history(
    ctx: JobContext, paths: list[str] | str, account: str, account_kind: str = "local"
) -> Generator[Progress, None, object]:
    """Import listening-history files, folders or zips into ``account`` (one path: ``segue jobs run``)."""
    from core.sources.importing import import_files

    paths = [paths] if isinstance(paths, str) else list(paths)
    return (yield from import_files(ctx.store, paths, account, cancel=ctx.cancel, account_kind=account_kind))


def features(ctx: JobContext, account: str | None = None) -> Generator[Progress, None, object]:
    from core.features.fetch import fetch_features

    return (yield from fetch_features(ctx.store, account, cancel=ctx.cancel))


def features_import(
    ctx: JobContext, path: str, kind: str, account: str | None = None
) -> Generator[Progress, None, object]:
    from core.features.tables import import_table

    return (yield from import_table(ctx.store, path, kind, account=account, cancel=ctx.cancel))


def embeddings(ctx: JobContext, account: str | None = None) -> Generator[Progress, None, object]:
    from core.features.embeddings.build import build_embeddings

    return (yield from build_embeddings(ctx.store, account=account, cancel=ctx.cancel))


def catalogue(
    ctx: JobContext, account: str, sources: list[str] | None = None, force: bool = False
) -> Generator[Progress, None, object]:
    """Refresh ``account``'s discovery catalogue (``core.catalogue.refresh``)."""
    from core.catalogue.refresh import refresh_catalogue

    return (yield from refresh_catalogue(ctx.store, account, sources=sources, force=force, cancel=ctx.cancel))


def plays_since_training(engine, model: str = "default") -> dict[str, tuple[int, int | None]]:
    """account name → (plays now, plays when ``model`` last trained successfully, or None)."""
    with engine.connect() as conn:
        plays = dict(
            conn.execute(
                select(Account.name, func.count(Scrobble.id))
                .outerjoin(Scrobble, Scrobble.account_id == Account.id)
                .group_by(Account.id)
            ).all()
        )
        last = {}
        for name, at_train in conn.execute(
            select(Account.name, ModelRun.plays_at_train)
            .join(ModelRun, ModelRun.account_id == Account.id)
            .where(ModelRun.model == model, ModelRun.kind == "train", ModelRun.status == "ok")
            .order_by(ModelRun.finished_at)
        ):
            last[name] = at_train
    return {a: (int(n), last.get(a)) for a, n in plays.items()}


def due_for_retrain(engine, threshold: int, model: str = "default") -> list[str]:
    """Accounts with ≥ ``threshold`` plays since ``model`` last trained (or never trained, with plays)."""
    out = []
    for account, (now, then) in sorted(plays_since_training(engine, model).items()):
        if now > 0 and now - (then or 0) >= threshold:
            out.append(account)
    return out


def should_train(engine, account: str, added: int, *, imported: bool) -> bool:
    """Whether new plays call for training ``default`` (never with ``train_automatically`` off): any
    import that added plays; a sync that added plays when the account never trained it or has
    ``retrain_after_plays`` new plays since (between trainings the model's counts follow every new
    play anyway)."""
    from core.settings import Settings

    settings = Settings.load()
    if added <= 0 or not settings.train_automatically:
        return False
    if imported:
        return True
    threshold = settings.retrain_after_plays
    now, then = plays_since_training(engine).get(account, (0, None))
    return then is None or (threshold > 0 and now - then >= threshold)


def _gap_s() -> int:
    """The session gap of the user's settings (the Suggestions page's own "Train" asks with it too,
    so the two submissions are one queued job)."""
    from core.settings import Settings

    return int(Settings.load().session_gap_minutes) * 60


def added_plays(result) -> int:
    """Plays an import report (``files[].added``) or a sync report (``added``) says it added."""
    if result is None:
        return 0
    if hasattr(result, "files"):
        return sum(int(getattr(f, "added", 0)) for f in result.files)
    return int(getattr(result, "added", 0) or 0)


DISCOVERY_MODEL = "discovery"  # the ``train`` job's model name for the discovery ranker (models.discovery)


def added_candidates(result) -> int:
    """Items a catalogue refresh's summary (``sources[].items``) says it stored."""
    sources = getattr(result, "sources", None) or {}
    return sum(int(getattr(r, "items", 0) or 0) for r in sources.values())


def should_train_discovery(result) -> bool:
    """Whether a catalogue refresh calls for training the discovery ranker: it stored candidates and
    the user lets Segue train by itself."""
    from core.settings import Settings

    return added_candidates(result) > 0 and bool(Settings.load().train_automatically)


def follow_new_plays(runner) -> None:
    """Training follows the data: when an ``import`` or ``sync`` run by ``runner`` ends having added
    plays (``should_train``), ``runner`` trains ``default`` for the account next; when a ``catalogue``
    refresh ends having stored candidates, it trains the discovery ranker — in the background for the
    GUI, before ``segue jobs run`` returns for the CLI. (A watcher, not the job's own tail: isolated
    jobs run in a child process that cannot submit follow-ups.)"""

    def ended(event: str, handle) -> None:
        if event != "ended" or handle.state != "ok" or handle.name not in ("import", "sync", "catalogue"):
            return
        account = handle.params.get("account")
        if not account or runner.store is None or "train" not in runner.registry:
            return
        if handle.name == "catalogue":
            if should_train_discovery(handle.result):
                runner.submit("train", account=account, model=DISCOVERY_MODEL)
            return
        if should_train(
            runner.store.engine, account, added_plays(handle.result), imported=handle.name == "import"
        ):
            runner.submit("train", account=account, model="default", gap_s=_gap_s())

    runner.watch(ended)


def retrain_check(ctx: JobContext, threshold: int | None = None) -> Generator[Progress, None, dict]:
    from core.settings import Settings

    threshold = threshold if threshold is not None else Settings.load().retrain_after_plays
    yield Progress(0, 1, "checking for accounts with enough new plays to retrain")
    due = due_for_retrain(ctx.store.engine, threshold)
    submitted = []
    if ctx.runner is not None and "train" in ctx.runner.registry:
        for account in due:
            ctx.runner.submit("train", account=account, model="default", gap_s=_gap_s())
            submitted.append(account)
    elif due:
        log.info("accounts due for retraining but no train job registered: %s", ", ".join(due))
    yield Progress(1, 1, f"retrain submitted for {len(submitted)} account(s)")
    return {"due": due, "submitted": submitted, "threshold": threshold}


# name, body, resource, parameters (for `segue jobs list`), isolated, description
CORE_JOBS = (
    ("sync", sync, "sync:{account}", ("account", "username?"), True, "Last.fm sync of one account"),
    ("import", import_history, "import", ("paths", "account", "account_kind?"), True,
     "import listening-history files into an account"),
    ("features", features, "features", ("account?",), True,
     "feature backlog: tags, lyrics, audio, ids, art, bios"),
    ("features_import", features_import, "features", ("path", "kind", "account?"), True,
     "import a feature table (audio / lyrics / tags)"),
    ("embeddings", embeddings, "embeddings", ("account?",), True,
     "bring lyrics/bio/tag/audio/w2v embeddings up to date"),
    ("catalogue", catalogue, "catalogue:{account}", ("account", "sources?", "force?"), True,
     "discovery catalogue: candidates from other accounts, open tables, Last.fm, ListenBrainz"),
    ("retrain_check", retrain_check, "schedule", ("threshold?",), False,
     "submit train for accounts with enough new plays"),
)  # fmt: skip


def register_core_jobs(registry: JobRegistry = REGISTRY) -> JobRegistry:
    for name, body, resource, params, isolate, description in CORE_JOBS:
        registry.register(
            name, body, resource=resource, params=params, isolate=isolate, description=description
        )
    return registry


register_core_jobs()
