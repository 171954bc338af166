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
