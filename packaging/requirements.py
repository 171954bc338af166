"""Print the runtime dependencies declared in pyproject.toml, one per line (no dev extras).

``make dist`` installs these (through constraints.txt) plus packaging/requirements-build.txt into its
own venv, so the bundle is frozen from exactly what a user needs — never pytest, psycopg or ruff.
"""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    with open(ROOT / "pyproject.toml", "rb") as fh:
        deps = tomllib.load(fh)["project"]["dependencies"]
    sys.stdout.write("".join(f"{d}\n" for d in deps))
