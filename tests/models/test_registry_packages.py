"""Every registered model module is reachable as a package submodule — what PyInstaller's
collect_submodules (and any package walk) sees. A folder without __init__.py would silently drop its
models from the bundle (issue 17: bpr_mf, ease and lightgcn went missing that way)."""

from __future__ import annotations

import pkgutil

import models
from models.registry import MODEL_MODULES


def test_every_model_module_is_found_by_a_package_walk():
    found = {m.name for m in pkgutil.walk_packages(models.__path__, "models.")}
    assert set(MODEL_MODULES) <= found, sorted(set(MODEL_MODULES) - found)
