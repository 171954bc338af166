# Two commands: `make run` and `make test`. Both create .venv and install on first use.
# torch is pinned through constraints.txt so a CPU-only machine never pulls the CUDA build.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench screenshots clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/segue

LINT_PATHS := app core models tests benchmarks packaging

# lint first: a formatting or lint slip fails in seconds, not after the whole suite
test: lint
	QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

# Render every page with the bundled demo history to PNGs (light and dark) under Xvfb, i.e. through the
# real xcb platform plugin and fonts. Installs what Xvfb and Qt's xcb plugin need when missing (Debian).
SHOTS ?= screenshots
XVFB_DEBS := xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 \
	libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 fonts-noto-cjk fonts-dejavu-core
screenshots: $(STAMP)
	@if ! command -v xvfb-run >/dev/null || ! dpkg -s $(XVFB_DEBS) >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(XVFB_DEBS); \
	fi
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m app.screenshots $(SHOTS)/light --theme light --train
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m app.screenshots $(SHOTS)/dark --theme dark --train
	@ls $(SHOTS)/light $(SHOTS)/dark

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
