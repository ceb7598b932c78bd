# kubexm developer entry points. Every target but `clean` works from a fresh checkout:
# `setup` creates .venv and installs kubexm editable with its dev tools, and re-installs only
# when pyproject.toml is newer than the stamp it leaves in .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kubexm-installed

.PHONY: setup check lint test run clean distclean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "error: could not create $(VENV); on Debian: apt-get install python3-venv" >&2; \
	  exit 1; }
	$(BIN)/pip install -e '.[dev]'
	@touch $@

check: setup
	bash scripts/check.sh

lint: setup
	bash scripts/check.sh --gates-only

test: setup
	bash scripts/check.sh --tests-only

# The main job: lab hosts on this machine and a cluster deployed onto them (needs root).
run: setup
	bash scripts/lab-cluster.sh

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache .import_linter_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
