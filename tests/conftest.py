"""Shared test configuration: Qt offscreen, throwaway SEGUE_HOME, paths to ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from testpaths import API_FIXTURES, FEATURES, FIXTURES, LISTENING, ROOT, SHARED  # noqa: F401 - re-exported

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own SEGUE_HOME and never touches the user's data, keyring or settings."""
    home = tmp_path_factory.mktemp("segue-home")
    monkeypatch.setenv("SEGUE_HOME", str(home))
    monkeypatch.delenv("SEGUE_DB", raising=False)
    monkeypatch.setenv("SEGUE_KEYRING", "file")
    return home


@pytest.fixture
def shared() -> Path:
    if not SHARED.exists():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture
def store(tmp_path):
    """A fresh, migrated SQLite store in a temporary folder."""
    from core.store import open_store

    s = open_store(f"sqlite:///{tmp_path / 'segue.sqlite'}")
    yield s
    s.dispose()
