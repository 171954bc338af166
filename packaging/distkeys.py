"""Write the distributor's API keys for the bundle (``packaging/build`` runs this; see README.md).

Read from the environment — ``SEGUE_DIST_LASTFM_API_KEY``, ``SEGUE_DIST_LASTFM_API_SECRET``,
``SEGUE_DIST_SPOTIFY_CLIENT_ID`` — or from ``SEGUE_DIST_KEYS=FILE`` holding the same ``NAME=value``
lines (the environment wins). The JSON goes to OUT with mode 0600 and becomes
``resources/distributor.json`` in the bundle (``core.distkeys`` reads it). Only *which* keys are present
is printed, never a value; with none, no file is written and the build asks users for their own keys.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FIELDS = {
    "SEGUE_DIST_LASTFM_API_KEY": "lastfm_api_key",
    "SEGUE_DIST_LASTFM_API_SECRET": "lastfm_api_secret",
    "SEGUE_DIST_SPOTIFY_CLIENT_ID": "spotify_client_id",
}


def read_file(path: Path) -> dict[str, str]:
    values = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or name.strip() not in FIELDS:
            raise SystemExit(f"{path}:{n}: expected one of {', '.join(FIELDS)} as NAME=value")
        values[name.strip()] = value.strip().strip("'\"")
    return values


def collect(environ: dict[str, str]) -> dict[str, str]:
    values = read_file(Path(environ["SEGUE_DIST_KEYS"])) if environ.get("SEGUE_DIST_KEYS") else {}
    values.update({k: environ[k].strip() for k in FIELDS if environ.get(k, "").strip()})
    return {FIELDS[k]: v for k, v in values.items() if v}


def main(argv: list[str]) -> int:
    out = Path(argv[1])
    keys = collect(dict(os.environ))
    if keys.get("lastfm_api_secret") and not keys.get("lastfm_api_key"):
        raise SystemExit("SEGUE_DIST_LASTFM_API_SECRET without SEGUE_DIST_LASTFM_API_KEY")
    if not keys:
        print("distributor keys: none (packaged users will be asked for their own API keys)")
        return 0
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(keys, fh)
    print("distributor keys: " + ", ".join(sorted(keys)) + " (values not shown)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
