"""Every file under resources/ is declared as a wheel data file (pyproject ``tool.setuptools.data-files``),
so core.paths.resource() finds it in an installed wheel too, not only in the checkout and the bundle."""

from __future__ import annotations

import tomllib

from testpaths import ROOT


def test_every_resource_is_a_wheel_data_file():
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    declared = {p for globs in data_files.values() for g in globs for p in ROOT.glob(g)}
    shipped = {p for p in (ROOT / "resources").rglob("*") if p.is_file() and p.name != "distributor.json"}
    assert shipped <= declared, sorted(str(p.relative_to(ROOT)) for p in shipped - declared)
    for target, globs in data_files.items():  # each lands at the same relative place under share/segue
        for g in globs:
            assert target == "share/segue/" + g.rsplit("/", 1)[0], (target, g)
