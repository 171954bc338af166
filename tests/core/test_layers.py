"""The layer rules of docs/architecture.md §2, enforced: importing every module of core/ and models/
leaves PySide6 out of ``sys.modules``, and core imports nothing from models or app.

Each check runs in a fresh interpreter, so modules other tests imported (Qt among them) cannot mask
an import that pulls Qt in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
packages = sys.argv[1].split(",")
failed = {}
for name in packages:
    pkg = importlib.import_module(name)
    for info in pkgutil.walk_packages(pkg.__path__, name + "."):
        if ".migrations.versions." in info.name:  # Alembic scripts: loaded by Alembic, not importable
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # an optional dependency missing here is not a layer breach
            failed[info.name] = f"{type(exc).__name__}: {exc}"
loaded = sorted(m for m in sys.modules if m.split(".")[0] in packages or m.split(".")[0] in ("app", "models", "PySide6"))
print(json.dumps({"loaded": loaded, "failed": failed}))
"""


def _import_all(*packages: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(packages)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},  # SEGUE_HOME: the test's throwaway home (conftest)
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_core_and_models_never_import_qt():
    result = _import_all("core", "models")
    assert not result["failed"], result["failed"]
    assert len([m for m in result["loaded"] if m.startswith("models.")]) > 40  # it really walked them
    assert [m for m in result["loaded"] if m.split(".")[0] == "PySide6"] == []


def test_core_imports_neither_models_nor_app():
    result = _import_all("core")
    assert not result["failed"], result["failed"]
    assert [m for m in result["loaded"] if m.split(".")[0] in ("models", "app")] == []


# the two places that compose the layers (architecture.md §2) register models' jobs and commands
COMPOSERS = {"app/main.py": {"models.jobs"}, "app/__main__.py": {"models.commands"}}


def test_the_app_calls_models_only_through_models_api():
    import ast

    breaches = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] if node.module != "models" else [f"models.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                if (
                    name.split(".")[0] == "models"
                    and name != "models.api"
                    and name not in COMPOSERS.get(rel, ())
                ):
                    breaches.append(f"{rel}:{node.lineno} imports {name}")
    assert breaches == []
