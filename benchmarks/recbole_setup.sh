#!/usr/bin/env bash
# RecBole 1.2.1 as a peer (docs/architecture.md §7), in its own venv — never in the main one.
# Order matters: torch==2.13.0 first (the CPU wheel here; a bare torch pulls CUDA wheels), then
# recbole==1.2.1, then the older numpy/pandas/scipy/scikit-learn its code still needs (np.float_).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-recbole
PY=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q torch==2.13.0
"$VENV/bin/pip" install -q recbole==1.2.1
"$VENV/bin/pip" install -q "numpy<2" "pandas<2.3" "scipy<1.14" "scikit-learn<1.6"
"$VENV/bin/python" -c "import recbole, torch, numpy; print('recbole', recbole.__version__, 'torch', torch.__version__, 'numpy', numpy.__version__)"
