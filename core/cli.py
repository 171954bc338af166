"""The ``segue`` command line: global options, command registry, error handling.

Commands live in ``core/commands/`` (and ``models/commands.py``, ``app/commands.py``, composed by
``app/__main__.py`` so that ``core`` imports neither). Every command gets a ``CliContext`` with the
store opened lazily. User errors print one line and exit non-zero — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from core.normalize import printable
from core.sources.records import ImportFailure
from core.store.engine import Store, StoreError, open_store

log = logging.getLogger("segue")
Registrar = Callable[[argparse._SubParsersAction], None]

CORE_COMMANDS = (
    "core.commands.imports",
    "core.commands.sync",
    "core.commands.sessions",
    "core.commands.stats",
    "core.commands.accounts",
    "core.commands.insights",
    "core.commands.features",
    "core.commands.jobs",
    "core.commands.catalogue",
)


class CliError(Exception):
    """A user-facing failure: message printed as is, process exits with ``code``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class CliContext:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.args.db)
        return self._store

    def account_id(self, name: str) -> int:
        """Id of an existing account, or a clear error listing the ones that exist."""
        from core.store.queries import account_by_name, list_accounts

        acc = account_by_name(self.store.engine, name)
        if acc is None:
            known = ", ".join(a.name for a in list_accounts(self.store.engine)) or "none yet"
            raise CliError(f"no account named '{name}' (accounts: {known}); import a file or sync first", 2)
        return acc.id

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


def ask(question: str, flag: str) -> str:
    """The user's answer to ``question``, read from stdin (a terminal, or a pipe that holds the answer).
    When stdin has nothing to read (closed, /dev/null, a script without input), a ``CliError`` (exit 2)
    names the option that answers the question instead."""
    wording = question.strip().rstrip(":").strip()
    if sys.stdin is None:
        raise CliError(f"cannot ask “{wording}” without a terminal; pass {flag} to answer it", 2)
    try:
        return input(question)
    except EOFError:
        print(file=sys.stdout)
        raise CliError(
            f"no answer to “{wording}” (stdin is not a terminal); pass {flag} to answer it", 2
        ) from None


def print_json(obj) -> None:
    json.dump(obj, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def progress_printer(enabled: bool):
    """A Progress callback that redraws one stderr line when stderr is a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None

    def show(p) -> None:
        frac = f" {p.fraction:5.1%}" if p.fraction is not None else ""
        sys.stderr.write(f"\r\033[K{frac} {p.message[:100]}")
        sys.stderr.flush()

    return show


def clear_progress(enabled: bool = True) -> None:
    """Erase the line ``progress_printer`` drew, before the command prints its result."""
    if enabled and sys.stderr.isatty():
        sys.stderr.write("\r\033[K")


def build_parser(extra: Sequence[Registrar] = ()) -> argparse.ArgumentParser:
    import importlib

    from core.version import __version__

    parser = argparse.ArgumentParser(prog="segue", description="Segue — your listening history, locally.")
    parser.add_argument("--version", action="version", version=f"segue {__version__}")
    parser.add_argument(
        "--db",
        default=None,
        help="SQLAlchemy database URL (default: $SEGUE_DB or the SQLite file in the data folder)",
    )
    parser.add_argument(
        "--home",
        default=None,
        help="folder for settings, models, caches and logs "
        "(default: $SEGUE_HOME or the per-user data folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in CORE_COMMANDS:
        importlib.import_module(module).register(sub)
    for registrar in extra:
        registrar(sub)
    return parser


def command_names(extra: Sequence[Registrar] = ()) -> set[str]:
    """The names ``segue COMMAND`` accepts (so ``segue FILE`` can tell a file from a command)."""
    for action in build_parser(extra)._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _setup_logging(verbose: bool) -> None:
    from core.logs import setup_logging

    setup_logging(verbose)


def main(
    argv: Sequence[str] | None = None,
    extra: Sequence[Registrar] = (),
    default: Callable[[CliContext], int] | None = None,
) -> int:
    """Parse and run one command; ``default`` handles a bare ``segue`` (the GUI)."""
    parser = build_parser(extra)
    args = parser.parse_args(argv)
    if args.home:
        os.environ["SEGUE_HOME"] = str(Path(args.home).expanduser())
    _setup_logging(args.verbose)
    if not getattr(args, "handler", None):
        if default is None:
            parser.print_help()
            return 0
        args.handler = default
    ctx = CliContext(args)
    try:
        return int(args.handler(ctx) or 0)
    except CliError as exc:
        print(f"segue: {printable(str(exc))}", file=sys.stderr)
        return exc.code
    except ImportFailure as exc:
        print(f"segue: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"segue: {printable(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("segue: interrupted; finished work is saved, run the command again to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `segue stats --json | head`: the reader left; say nothing, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit-time flush stays quiet
        return 141
    except Exception as exc:  # noqa: BLE001 - last line of defence: log the traceback, show a sentence
        log.error("unexpected error: %s\n%s", exc, traceback.format_exc())
        print(f"segue: unexpected error: {exc} (details in the log file)", file=sys.stderr)
        return 1
    finally:
        ctx.close()
