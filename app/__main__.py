"""Composition root for the ``segue`` command: core commands + model commands + the GUI.

``segue`` with no command opens the window; any other command runs headless. Qt is imported only
when the GUI actually starts, so CLI commands stay fast and work without a display.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def _gui_args(argv: Sequence[str]):
    """The global options when no command is given (bare ``segue``), else None."""
    import argparse

    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db")
    p.add_argument("--home")
    p.add_argument("-v", "--verbose", action="store_true")
    try:
        args, rest = p.parse_known_args(list(argv))
    except SystemExit:
        return None
    return None if rest else args


def _run_gui_fast(args) -> int:
    """Bare ``segue``: open the window without first importing every CLI command (and SQLAlchemy with
    them) — the store is opened off the GUI thread once the window shows."""
    import os
    from pathlib import Path

    if args.home:
        os.environ["SEGUE_HOME"] = str(Path(args.home).expanduser())
    from app.main import run

    def setup_logging() -> None:
        from core.logs import setup_logging

        setup_logging(args.verbose)

    return run(db_url=args.db, after_show=setup_logging)


def main(argv: Sequence[str] | None = None) -> int:
    fast = _gui_args(sys.argv[1:] if argv is None else argv)
    if fast is not None:
        return _run_gui_fast(fast)
    from app import commands as app_commands
    from core import cli
    from models import commands as model_commands

    return cli.main(
        argv, extra=[model_commands.register, app_commands.register], default=app_commands.run_gui
    )


if __name__ == "__main__":
    sys.exit(main())
