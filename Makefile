# Two commands: `make run` and `make test`. Both create .venv and install on first use.
# torch is pinned through constraints.txt so a CPU-only machine never pulls the CUDA build.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint postgres bench screenshots clean xvfb dist dist-venv smoke

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/segue

LINT_PATHS := app core models tests benchmarks packaging

# lint first: a formatting or lint slip fails in seconds, not after the whole suite; xvfb before the
# suite so the layout test (tests/app/test_layout.py) renders through the real xcb platform and fonts.
# The store tests run on SQLite and on PostgreSQL: SEGUE_REQUIRE_PG makes a missing server a failure.
test: lint xvfb postgres
	SEGUE_REQUIRE_PG=1 QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 $(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

# PostgreSQL's server binaries from Debian's packages when missing (quick no-op when present). Only
# installed: the tests start a throwaway server of their own (tests/pgserver.py) and stop it when they
# end. policy-rc.d keeps the package from starting its default cluster as a service meanwhile.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); ours=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then ours=1; \
			printf '#!/bin/sh\nexit 101\n' | $$SUDO tee /usr/sbin/policy-rc.d >/dev/null; $$SUDO chmod +x /usr/sbin/policy-rc.d; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends postgresql; \
		status=$$?; [ -z "$$ours" ] || $$SUDO rm -f /usr/sbin/policy-rc.d; exit $$status; \
	fi

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

# Render every page with the bundled demo history to PNGs (light and dark) under Xvfb, i.e. through the
# real xcb platform plugin and fonts. Installs what Xvfb and Qt's xcb plugin need when missing (Debian).
SHOTS ?= screenshots
XVFB_DEBS := xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 \
	libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 fonts-noto-cjk fonts-dejavu-core
# Xvfb, xauth, Qt's xcb libraries and fonts (Debian); where they cannot be installed the layout test
# skips and says why, and `make screenshots` fails.
xvfb:
	@if ! command -v xvfb-run >/dev/null || ! dpkg -s $(XVFB_DEBS) >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(XVFB_DEBS); } \
			|| echo "make: could not install $(XVFB_DEBS); the layout test will skip"; \
	fi

# every page at 900x600, 1024x680 and 1600x1000 (app/screenshots.py SIZES): <page>-<W>x<H>.png
screenshots: $(STAMP) xvfb
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1700x1100x24" $(PY) -m app.screenshots $(SHOTS)/light --theme light --train
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1700x1100x24" $(PY) -m app.screenshots $(SHOTS)/dark --theme dark --train
	@ls $(SHOTS)/light $(SHOTS)/dark

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# -- release build (packaging/README.md) ---------------------------------------------------------------
# `make dist`: a CPU-only PyInstaller bundle (dist/segue/), its AppImage and tar.gz, then the smoke test
# on both. Frozen from its own runtime-only venv (pyproject's dependencies through constraints.txt, plus
# PyInstaller): no dev extras reach the bundle. A distributor Last.fm key / Spotify client id is taken
# from the environment or SEGUE_DIST_KEYS=FILE (packaging/README.md "Distributor keys"), never echoed.
DIST_VENV ?= .venv-dist
DIST_PY := $(DIST_VENV)/bin/python
DIST_STAMP := $(DIST_VENV)/.installed

$(DIST_STAMP): pyproject.toml constraints.txt packaging/requirements-build.txt
	test -x $(DIST_PY) || $(PYTHON) -m venv $(DIST_VENV)
	$(DIST_PY) -m pip install --upgrade --quiet pip
	$(DIST_PY) packaging/requirements.py > $(DIST_VENV)/requirements-runtime.txt
	$(DIST_PY) -m pip install --quiet -c constraints.txt -r $(DIST_VENV)/requirements-runtime.txt \
		-r packaging/requirements-build.txt
	touch $(DIST_STAMP)

dist-venv: $(DIST_STAMP)

dist: $(DIST_STAMP)
	nice -n 10 packaging/build $(DIST_PY)
	packaging/smoke dist/segue/segue dist/Segue-x86_64.AppImage

smoke:
	packaging/smoke dist/segue/segue dist/Segue-x86_64.AppImage
