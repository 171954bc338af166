"""Tokens and session keys live in the OS keyring, never in settings, logs or the repo.

Fallback (documented in README): when no usable keyring backend exists (headless Linux without a
Secret Service, CI), secrets go to ``$SEGUE_HOME/secrets.json`` with file mode 0600 and a warning is
logged once. ``SEGUE_KEYRING=file`` forces the fallback (tests use it).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from core import paths
from core.logs import register_secret

SERVICE = "segue"
log = logging.getLogger(__name__)
_warned = False


def _file() -> Path:
    return paths.home() / "secrets.json"


def _keyring():
    if os.environ.get("SEGUE_KEYRING") == "file":
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or "null" in type(backend).__name__.lower():
            return None
        return keyring
    except Exception:  # noqa: BLE001 - any keyring import/backend problem means "use the fallback"
        return None


def _warn_fallback() -> None:
    global _warned
    if not _warned:
        log.warning("No OS keyring available; storing secrets in %s (mode 0600)", _file())
        _warned = True


def _read_file() -> dict[str, str]:
    path = _file()
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_file(data: dict[str, str]) -> None:
    path = _file()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def _remember(value: str | None) -> str | None:
    """Register a secret (and, for a JSON token bundle, each string in it) for log redaction."""
    register_secret(value)
    if value and value.lstrip().startswith("{"):
        try:
            bundle = json.loads(value)
        except ValueError:
            return value
        if isinstance(bundle, dict):
            for item in bundle.values():
                if isinstance(item, str):
                    register_secret(item)
    return value


def get_secret(name: str) -> str | None:
    kr = _keyring()
    if kr is not None:
        try:
            return _remember(kr.get_password(SERVICE, name))
        except Exception:  # noqa: BLE001
            pass
    _warn_fallback()
    return _remember(_read_file().get(name))


def set_secret(name: str, value: str) -> None:
    _remember(value)
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(SERVICE, name, value)
            return
        except Exception:  # noqa: BLE001
            pass
    _warn_fallback()
    data = _read_file()
    data[name] = value
    _write_file(data)


def delete_secret(name: str) -> None:
    kr = _keyring()
    if kr is not None:
        try:
            kr.delete_password(SERVICE, name)
        except Exception:  # noqa: BLE001
            pass
    data = _read_file()
    if data.pop(name, None) is not None:
        _write_file(data)
