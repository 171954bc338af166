"""The real listening histories in ../shared/data/listening as a cached store, one account each.

Experiments, benchmarks and tests evaluate on these. ``dataset_store()`` imports every listener with
the product's importers (``core.sources.importing.import_files``) into a SQLite file under the cache
folder (or ``$SEGUE_EVAL_DATA``), rebuilt only when the source files or this list change. Several
sources are non-commercial: tests and benchmarks only, never bundled (see each SOURCES.md).

Listeners with at least ``MIN_PLAYS`` plays after the protocol's collapsing are the ones issue 3's
targets are measured on (``real_listeners``): spacedlevo, jonas-mika, erzadel, krishkumar,
menisadi, dudu2i3, djivs, aleex-cs. The Last.fm-1K sample user (4,997 rows) and felhag (1,891) fall
below the bar and are imported only for small-account checks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.jobs import run_job
from core.store.engine import Store, open_store
from core.store.queries import list_accounts

log = logging.getLogger(__name__)
SHARED = Path(os.environ.get("SEGUE_SHARED", paths.REPO_ROOT.parent / "shared"))
LISTENING = SHARED / "data" / "listening"
MIN_PLAYS = 5_000
CACHE_VERSION = 1


@dataclass(frozen=True)
class Listener:
    account: str
    paths: tuple[str, ...]  # relative to the listening folder; folders import every history file in them
    fmt: str = "auto"


LISTENERS: tuple[Listener, ...] = (
    Listener("spacedlevo", ("lastfm-exports/spacedlevo__lastfmscrobbles.sqlite",)),
    Listener("jonas-mika", ("spotify/jonas-mika-basic",)),
    Listener("erzadel", ("edelgrace/erzadel_cleaned.csv",)),
    Listener("krishkumar", ("lastfm-exports/krishkumar__lastfm_scrobbles.csv",)),
    Listener("menisadi", ("spotify/menisadi-extended-csv/spotify_from_extened_data_2025_raw.csv",)),
    Listener("dudu2i3", ("lastfm-exports/dudu2i3__scrobbles.csv",)),
    Listener("djivs", ("lastfm-exports/djivs__scrobbles.csv",)),
    Listener("aleex-cs", ("lastfm-exports/aleex-cs__aleex_cs.csv",)),
    Listener(
        "lastfm1k", ("lastfm-1k-sample/userid-timestamp-artid-artname-traid-traname.user_000001_head.tsv",)
    ),
    Listener("felhag", ("lastfm-exports/felhag__lastfmstats-TestUser.json",)),
)


def listener(name: str) -> Listener:
    for item in LISTENERS:
        if item.account == name:
            return item
    raise KeyError(f"unknown listener {name!r}")


def import_into(store: Store, paths_: Iterable[Path], account: str, fmt: str = "auto") -> int:
    """Import files into ``account`` with the product's import job; returns plays added."""
    from core.sources.importing import import_files

    report = run_job(import_files(store, [Path(p) for p in paths_], account, fmt=fmt))
    if report.failures:
        raise RuntimeError("; ".join(str(f) for f in report.failures))
    return sum(f.added for f in report.files)


def _fingerprint(listeners: Iterable[Listener], root: Path) -> str:
    h = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    for item in listeners:
        h.update(item.account.encode())
        for rel in item.paths:
            p = root / rel
            files = sorted(p.rglob("*")) if p.is_dir() else [p]
            for f in files:
                if f.is_file():
                    h.update(f"{f.relative_to(root)}:{f.stat().st_size}".encode())
    return h.hexdigest()[:16]


def dataset_store(
    path: Path | None = None, listeners: Iterable[Listener] = LISTENERS, root: Path = LISTENING
) -> Store:
    """The cached store of real listeners, building it on first use (about 15 s)."""
    listeners = tuple(listeners)
    if not root.exists():
        raise FileNotFoundError(f"listening data not found at {root} (set SEGUE_SHARED)")
    env = os.environ.get("SEGUE_EVAL_DATA")
    path = Path(path or env or paths.cache_dir() / "eval-listening.sqlite")
    stamp = path.with_suffix(".json")
    fingerprint = _fingerprint(listeners, root)
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
        return open_store(f"sqlite:///{path}")
    tmp = path.with_name(f"{path.stem}.building-{os.getpid()}.sqlite")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{tmp}")
    counts = {}
    for item in listeners:
        t0 = time.time()
        counts[item.account] = import_into(store, [root / p for p in item.paths], item.account, item.fmt)
        log.info("imported %s: %d plays in %.1f s", item.account, counts[item.account], time.time() - t0)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    os.replace(tmp, path)
    for side in ("-wal", "-shm"):
        Path(f"{tmp}{side}").unlink(missing_ok=True)
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "plays": counts}, indent=2))
    return open_store(f"sqlite:///{path}")


def real_listeners(store: Store, min_plays: int = MIN_PLAYS) -> list[str]:
    """Accounts whose protocol sequence (collapsed plays) has at least ``min_plays`` plays, largest first."""
    from models.data import build_sequence

    sizes = []
    for acc in list_accounts(store.engine):
        if acc.plays >= min_plays:
            n = len(build_sequence(store.engine, acc.id))
            if n >= min_plays:
                sizes.append((n, acc.name))
    return [name for _, name in sorted(sizes, reverse=True)]
