"""Paths to the shared real data, importable from any test folder (``from testpaths import LISTENING``).

Nested conftest.py files shadow the top-level one for ``from conftest import ...``; this module does not.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SEGUE_SHARED", ROOT.parent / "shared"))
LISTENING = SHARED / "data" / "listening"
FEATURES = SHARED / "data" / "features"
API_FIXTURES = SHARED / "fixtures" / "api"
FIXTURES = ROOT / "tests" / "fixtures"


def cli_env(home: Path, **settings) -> dict[str, str]:
    """The environment for a ``segue`` child process with its own ``home``. Its settings.json turns
    ``train_automatically`` off unless a test passes it: an import or a sync would otherwise go on to
    train ``default`` (tests/core/jobs/test_training_follows_the_data.py covers that), which these
    command-line contracts do not test and which takes minutes on a loaded machine."""
    import json

    home.mkdir(parents=True, exist_ok=True)
    path = home / "settings.json"
    if not path.exists():
        path.write_text(json.dumps({"train_automatically": False, **settings}), encoding="utf-8")
    return dict(os.environ, SEGUE_HOME=str(home))
