"""The bundled demo history (resources/demo): imported in the background on a first run with no account."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from core import paths
from core.jobs import CancelToken, Progress

DEMO_ACCOUNT = "demo"


def demo_archive() -> Path:
    return paths.resource("demo", "spotify-demo.zip")


def available() -> bool:
    return demo_archive().exists()


def import_demo(store, cancel: CancelToken | None = None) -> Generator[Progress, None, object]:
    """Import the demo zip into the ``demo`` account (kind ``demo``); re-running adds nothing."""
    from core.sources.importing import import_files

    return (
        yield from import_files(store, [demo_archive()], DEMO_ACCOUNT, cancel=cancel, account_kind="demo")
    )
