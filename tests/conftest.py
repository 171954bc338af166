"""Shared test configuration: Qt offscreen, throwaway SEGUE_HOME, paths to ../shared, and the store on
both engines: a test marked ``@pytest.mark.engines`` runs once on SQLite and once on a throwaway
PostgreSQL server (``tests/pgserver.py``) through its ``store`` or ``engine_url`` fixture."""

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


ENGINES = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "engines: run on SQLite and on PostgreSQL (store / engine_url fixtures)"
    )


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("engines") is None:
        return
    for name in ("store", "engine_url"):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, ENGINES, indirect=True)
            return


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (skipped where PostgreSQL is not installed, unless required)."""
    import pgserver

    bin_dir = pgserver.binaries()
    if bin_dir is None:
        message = "PostgreSQL server binaries not installed (make postgres installs them)"
        if os.environ.get(pgserver.REQUIRE_ENV):
            pytest.fail(message)
        pytest.skip(message)
    server = pgserver.PgServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """A database migrated to head once per session, copied for each PostgreSQL store."""
    from core.store import open_store

    url = pg_server.create_database()
    open_store(url).dispose()
    return url.rsplit("/", 1)[1]


@pytest.fixture
def engine_url(request, tmp_path):
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database (``engines``)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'segue.sqlite'}"
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def store(request, tmp_path):
    """A fresh, migrated store: SQLite in a temporary folder, or PostgreSQL (``engines`` tests)."""
    from core.store import open_store

    if getattr(request, "param", "sqlite") == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'segue.sqlite'}")
        yield s
        s.dispose()
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database(template=request.getfixturevalue("pg_template"))
    s = open_store(url)
    yield s
    s.dispose()
    server.drop_database(url)
