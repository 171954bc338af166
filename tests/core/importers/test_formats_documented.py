"""Every format ``segue import --format`` accepts is in the README's table, and the table names no other."""

from __future__ import annotations

import re

from testpaths import ROOT

from core.sources.importers import formats


def test_the_readme_lists_every_import_format():
    text = (ROOT / "README.md").read_text()
    table = text.split("### Importing history files", 1)[1].split("\nRules:", 1)[0]
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", table, flags=re.M))
    known = {m.FORMAT for m in formats()}
    assert listed == known, f"missing: {sorted(known - listed)}, not a format: {sorted(listed - known)}"
