"""Where trained models live on disk, how a new one replaces the old, and how they are read back.

Layout: ``<models dir>/<account>/<model>/`` holds ``config.json`` + ``arrays.safetensors`` (written by
``Recommender.save``) and ``meta.json`` (account, model, seed, plays, trained_at).

Saving is safe when two writers race (a training from the window and a scheduled retrain): each
writes a complete folder under its own unique temporary name, then swaps it in with two renames
(the current folder aside under a name of its own, the new one in place); a writer that finds
another's folder already in place retries, so the last to finish wins and no folder is ever
written into where readers look. Readers (``load_model``) check that the folder was the same
generation before and after reading it and retry otherwise, so they never mix the files of two
generations, and wait out the instant between the two renames instead of reporting "not trained".
"""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from pathlib import Path

from core import paths
from models.base import ModelError, Recommender

DEFAULT_MODEL = "default"
SWAP_RETRIES = 50
READ_RETRIES = 50
RETRY_SLEEP_S = 0.02
STALE_S = 24 * 3600.0  # temporary folders older than this were left by a writer that died


def model_dir(account: str, model: str) -> Path:
    """Where ``model`` trained for ``account`` lives (account names made safe for file systems)."""
    safe = re.sub(r"[^\w.-]+", "_", account).strip("._") or "account"
    return paths.models_dir() / safe / model


def is_trained(account: str, model: str = DEFAULT_MODEL) -> bool:
    """Whether a trained ``model`` for ``account`` is on disk (not whether it loads: see ``load_model``)."""
    directory = model_dir(account, model)
    return (directory / "config.json").exists() or _swapping(directory)


Generation = tuple[int, int, int]


def generation(directory: Path) -> Generation | None:
    """Identifies the folder's current contents (a new save is a new ``config.json`` file); None if absent."""
    try:
        st = (directory / "config.json").stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def save_model(model: Recommender, target: Path, meta: dict) -> None:
    """Write ``model`` and ``meta`` to ``target``, replacing what is there in one swap (see module doc)."""
    token = uuid.uuid4().hex
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    tmp = target.with_name(f".{target.name}.tmp-{token}")
    try:
        model.save(tmp)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        _swap_in(tmp, target, token)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(tmp: Path, target: Path, token: str) -> None:
    last: OSError | None = None
    for attempt in range(SWAP_RETRIES):
        aside: Path | None = target.with_name(f".{target.name}.old-{token}-{attempt}")
        try:
            target.rename(aside)
        except FileNotFoundError:
            aside = None
        except PermissionError as exc:  # Windows: a reader holds one of its files open for a moment
            last = exc
            time.sleep(RETRY_SLEEP_S)
            continue
        try:
            tmp.rename(target)
        except OSError as exc:
            if aside is not None and not target.exists():  # not a race: put the previous model back
                aside.rename(target)
                raise
            last = exc  # another writer put its folder in place between our two renames: go again
            time.sleep(RETRY_SLEEP_S)
            continue
        finally:
            if aside is not None:
                shutil.rmtree(aside, ignore_errors=True)
        return
    raise ModelError(f"could not replace {target} ({last}); another process keeps writing it: try again")


def _swapping(directory: Path) -> bool:
    """A writer is between its two renames (the folder is aside for an instant)."""
    return any(directory.parent.glob(f".{directory.name}.old-*"))


def _remove_stale(target: Path) -> None:
    cutoff = time.time() - STALE_S
    for p in target.parent.glob(f".{target.name}.*-*"):
        try:
            if p.stat().st_mtime < cutoff:
                shutil.rmtree(p, ignore_errors=True)
        except FileNotFoundError:
            pass


def load_model(account: str, model_name: str = DEFAULT_MODEL) -> Recommender:
    """The saved model; ``ModelError`` when missing or written by another version (message says what to do)."""
    model, _gen = load_generation(model_dir(account, model_name), account, model_name)
    return model


def load_generation(directory: Path, account: str, model_name: str) -> tuple[Recommender, Generation]:
    """The model in ``directory`` and the generation it was read from (for caches that check it)."""
    for _ in range(READ_RETRIES):
        before = generation(directory)
        if before is None:
            if not _swapping(directory):
                raise ModelError(
                    f"no trained {model_name} model for {account}; run `segue train --account {account} "
                    f"--model {model_name}`"
                )
        else:
            try:
                model = Recommender.load(directory)
            except (OSError, ModelError):
                if generation(directory) == before:
                    raise  # a real problem with this folder, not a swap while reading it
            else:
                if generation(directory) == before:
                    return model, before
        time.sleep(RETRY_SLEEP_S)
    raise ModelError(f"{directory} kept changing while it was read; try again")


def read_meta(directory: Path) -> dict:
    """``meta.json`` of a saved model ({} when absent or unreadable)."""
    try:
        return json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
