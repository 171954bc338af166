"""Logging set-up, with secrets redacted from every record and the log file private to the user.

Two kinds of secret reach log records through libraries we do not control (httpx logs every request
URL at INFO; exceptions carry URLs and bodies): query/form parameters such as ``sk``, ``api_key`` and
``api_sig``, and the literal values of keys and tokens. The formatter of every handler installed here
rewrites the *formatted* text, so messages, arguments, tracebacks and stack dumps are all covered.
Secret values are registered by ``core.secrets`` and the service configs when they are read
(``register_secret``); parameter names are redacted whatever their value.

The log folder is 0700 and its files 0600 (POSIX): the log may still name tracks and accounts.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import stat
import sys
import threading
from pathlib import Path

REDACTED = "***"
SECRET_PARAMS = (
    "api_key",
    "api_secret",
    "api_sig",
    "sk",
    "session_key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "code",
    "code_verifier",
    "password",
    "secret",
)
_names = "|".join(sorted(SECRET_PARAMS, key=len, reverse=True))
# name=value in a query string or form body; "name": "value" in JSON; Authorization headers
_PARAM = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_names})=([^&\s\"'<>#]+)")
_JSON = re.compile(rf"(?i)([\"']({_names})[\"']\s*:\s*[\"'])([^\"']+)")
_AUTH = re.compile(
    r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)?\s*)([A-Za-z0-9._~+/=-]{8,})"
)
_MIN_LITERAL = 8  # shorter values would redact ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()
LOG_MAX_BYTES = 5 * 1024 * 1024
LOG_BACKUPS = 3


def register_secret(value: str | None) -> None:
    """Redact this literal value from every log record from now on (keys, tokens, session keys)."""
    if value and len(value) >= _MIN_LITERAL:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with secret parameters, auth headers and registered secret values replaced by ***."""
    if not text:
        return text
    text = _PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _JSON.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _AUTH.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    with _lock:
        literals = sorted(_secrets, key=len, reverse=True)
    for value in literals:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (message, traceback, stack) passes through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file created 0600 (and tightened to 0600 if an older version left it wider).

    A record that cannot be written (the disk is full, the folder went away) is dropped quietly:
    logging's default prints a stack dump to stderr for each, burying the one sentence the user needs.
    """

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's own name
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handleError(record)

    def _open(self):  # noqa: ANN202 - logging's own signature
        path = Path(self.baseFilename)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        return os.fdopen(
            fd, self.mode if "a" in self.mode else "a", encoding=self.encoding, errors=self.errors
        )


def private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700 on POSIX) and tighten it if it exists with wider permissions."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(verbose: bool) -> None:
    """The app's and the CLI's logging: the private log file always, stderr with ``-v``; all redacted."""
    from core import paths

    formatter = RedactingFormatter(FORMAT)
    handlers: list[logging.Handler] = []
    try:
        folder = private_dir(paths.logs_dir())
        handlers.append(
            PrivateRotatingFileHandler(
                folder / "segue.log", maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
        )
    except OSError:
        pass
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=handlers, force=True)
    # httpx/httpcore log request lines at INFO and wire details at DEBUG: keep the line, not the wire
    logging.getLogger("httpcore").setLevel(logging.WARNING)
