# The two commands of the README: `make build` and `make test`. Both set the machine up first
# (a virtual environment with the exact versions of requirements.lock; Debian packages for tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test setup setup-test data lock clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock   # exact versions (make lock)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m arena.render.vendor >/dev/null   # the site's Vega bundle, made once per install
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests use: Chromium for the browser tests, poppler for PDF page checks.
setup-test: setup
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils >/dev/null; \
	fi

# `arena build` validates the data itself (Great Expectations runs while the chapters execute).
build: setup
	$(BIN)/arena build

test: setup-test
	$(BIN)/arena reconstruct --check
	$(BIN)/arena validate
	$(BIN)/arena reconcile --strict
	$(BIN)/python -m pytest

# Regenerate the reconstructed respondent file after the codebook or data/published changed.
data: setup
	$(BIN)/arena reconstruct

# Re-pin every dependency after pyproject.toml changed (pip-tools; the lock is committed).
lock: setup
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
	  -o requirements.lock pyproject.toml

clean:
	rm -rf _site .arena-cache build
