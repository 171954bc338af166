"""Where Segue keeps things.

``SEGUE_HOME`` (or ``--home``) moves everything the app writes — database (unless ``SEGUE_DB`` says
otherwise), settings, model artefacts, caches, logs — so tests and scripts run in a throwaway
directory. Without it, platformdirs' per-user data directory is used.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

import platformdirs

APP_NAME = "Segue"
REPO_ROOT = Path(__file__).resolve().parents[1]
RESOURCES = REPO_ROOT / "resources"
MARKER = "themes/base.qss"  # a file every complete resources folder has


def home() -> Path:
    """The root folder for everything Segue writes; created on first use."""
    env = os.environ.get("SEGUE_HOME")
    path = Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(name: str) -> Path:
    path = home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    return subdir("models")


def cache_dir() -> Path:
    return subdir("cache")


def logs_dir() -> Path:
    return subdir("logs")


def default_db_url() -> str:
    """``SEGUE_DB`` if set, else a SQLite file in the home folder."""
    env = os.environ.get("SEGUE_DB")
    if env:
        return env
    return f"sqlite:///{home() / 'segue.sqlite'}"


def resource_candidates() -> list[Path]:
    """Where ``resources/`` may be, in order: the PyInstaller bundle (``sys._MEIPASS``), the checkout
    or editable install (beside ``core/``), an installed wheel (``<prefix>/share/segue/resources``,
    the wheel's data files)."""
    found = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    found.append(RESOURCES)
    found.append(Path(sys.prefix) / "share" / "segue" / "resources")
    return found


@cache
def resources_root() -> Path:
    """The first complete resources folder; an incomplete install is a clear error, not a missing theme."""
    candidates = resource_candidates()
    for folder in candidates:
        if (folder / MARKER).is_file():
            return folder
    raise FileNotFoundError(
        "Segue's resources folder is missing (looked in " + ", ".join(str(c) for c in candidates) + ")"
    )


def resource(*parts: str) -> Path:
    """A file shipped with Segue (themes, icons, demo history, default settings)."""
    return resources_root().joinpath(*parts)
