# The two commands of the README: `make build` and `make test`. Both set the machine up first
# (a virtual environment with the pinned ranges of pyproject.toml; Debian packages for tests).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: build test setup setup-test data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
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

clean:
	rm -rf _site .arena-cache build
