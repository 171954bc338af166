"""Composition root for the ``segue`` command: core commands + model commands + the GUI.

``segue`` with no command opens the window; ``segue FILE…`` (what a file manager's "Open with" runs,
``Exec=segue %F``) opens it and imports the files into the current account; any other command runs
headless. Qt is imported only when the GUI actually starts, so CLI commands stay fast and work without
a display.

In the PyInstaller bundle this is also the program every child process runs: background jobs start
*spawned* children and multiprocessing's resource tracker, each by re-running the frozen executable
with its own arguments; ``multiprocessing.freeze_support()`` recognises those and runs them before
anything parses the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def _gui_args(argv: Sequence[str]):
    """The global options and files to open when no command is given (bare ``segue`` or
    ``segue FILE…``), else None."""
    import argparse

    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db")
    p.add_argument("--home")
    p.add_argument("-v", "--verbose", action="store_true")
    try:
        args, rest = p.parse_known_args(list(argv))
    except SystemExit:
        return None
    args.files = []
    if rest:
        if not _are_files(rest):
            return None
        args.files = [str(_absolute(x)) for x in rest]
    return args


def _absolute(arg: str):
    from pathlib import Path

    return Path(arg).expanduser().resolve()


def _are_files(rest: Sequence[str]) -> bool:
    """Every argument names an existing file or folder and the first is not a command's name (a folder
    called ``stats`` in the current directory does not turn ``segue stats`` into an import)."""
    from pathlib import Path

    if any(a.startswith("-") or not Path(a).expanduser().exists() for a in rest):
        return False
    if Path(rest[0]).is_absolute() or "/" in rest[0] or "." in rest[0]:
        return True
    from core.cli import command_names

    return rest[0] not in command_names(_registrars())


def _run_gui_fast(args) -> int:
    """Bare ``segue``: open the window without first importing every CLI command (and SQLAlchemy with
    them) — the store is opened off the GUI thread once the window shows."""
    import os
    from pathlib import Path

    if args.home:
        os.environ["SEGUE_HOME"] = str(Path(args.home).expanduser())
    probe = None
    if os.environ.get("SEGUE_STARTUP_PROBE"):  # benchmarks: first-paint time (app/startup_probe.py)
        from app.startup_probe import install

        probe = install()
    from app.main import run

    def setup_logging() -> None:
        from core.logs import setup_logging

        setup_logging(args.verbose)

    code = run(db_url=args.db, after_show=setup_logging, open_files=args.files)
    del probe
    return code


def _registrars() -> list:
    from app import commands as app_commands
    from models import commands as model_commands

    return [model_commands.register, app_commands.register]


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a frozen job child or resource tracker runs here and exits
    fast = _gui_args(sys.argv[1:] if argv is None else argv)
    if fast is not None:
        return _run_gui_fast(fast)
    from app import commands as app_commands
    from core import cli

    return cli.main(argv, extra=_registrars(), default=app_commands.run_gui)


if __name__ == "__main__":
    sys.exit(main())
