# iraqkit — two commands do everything on a fresh machine (Python 3.11, pip, venv):
#   make report   build the tables, execute the notebooks, export figures and the HTML report
#   make test     run the unit tests and validate the notebooks with nbval
# `make help` lists every target.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.iraqkit-installed
NOTEBOOKS := $(sort $(wildcard notebooks/0*.ipynb))
# Byte-compile iraqkit as pip does an installed package (an editable install is not compiled,
# and with PYTHONDONTWRITEBYTECODE set every notebook kernel would compile it again); a no-op
# when the bytecode is current.
BYTECODE = $(BIN)/python -m compileall -q iraqkit
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
export SOURCE_DATE_EPOCH := 0

.PHONY: help setup report notebooks html test unit lock clean browser bench
.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the locked dependencies and iraqkit (editable)

# One process executes the notebooks (each in a fresh kernel, with nbconvert's own exporter and
# the settings of `jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=900`),
# strips them, and for `report` renders the HTML of each notebook while the next one runs.
report: $(STAMP) ## build everything: notebooks executed in place (tables, figures), HTML report
	@$(BYTECODE)
	$(BIN)/python -m iraqkit.nbtools run --html reports $(NOTEBOOKS)

notebooks: $(STAMP) ## execute every notebook in order, in place, and strip volatile metadata
	@$(BYTECODE)
	$(BIN)/python -m iraqkit.nbtools run $(NOTEBOOKS)

html: $(STAMP) ## render each notebook and the combined report to HTML under reports/
	$(BIN)/python -m iraqkit.report --out reports $(NOTEBOOKS)

browser: ## install Debian's Chromium for the report's browser test (needs root + network; else the test skips outside CI)
	@command -v chromium > /dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) > /dev/null 2>&1; } || \
	  echo "note: Chromium could not be installed; the browser test will skip (it fails in CI)"

test: $(STAMP) browser ## run all tests: unit tests (HTML report rendered first, checked in Chromium), then nbval
	@$(BYTECODE)
	$(MAKE) html
	$(BIN)/python -m pytest -q tests
	$(BIN)/python -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with nbval_sanitize.cfg $(NOTEBOOKS)

unit: $(STAMP) ## unit tests only
	$(BIN)/python -m pytest -q tests

bench: $(STAMP) ## benchmark the build engine (10 MB synthetic corpus; BENCH_ARGS="--size 100MB --report") and write BENCHMARKS.md
	$(BIN)/python benchmarks/bench.py --size 10MB $(BENCH_ARGS)

lock: ## re-resolve the pins in pyproject.toml and rewrite constraints.txt
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet "pip==25.3" && build/lockenv/bin/python -m pip install --quiet .
	{ echo "# Lock file: every package of the venv, pinned. Regenerate with \`make lock\` after changing"; \
	  echo "# pyproject.toml; \`make\` installs with \`pip install -c constraints.txt -e .\`."; \
	  build/lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^iraqkit'; } > constraints.txt

clean: ## remove generated tables, figures and reports (not the venv, not data/raw)
	rm -rf build data/processed/* figures/*.png figures/*.svg figures/*.labels.json reports/*
