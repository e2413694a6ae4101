# The README's two commands: `make plan` (offline plan + policy gate on dev) and `make test`.
PYTHON ?= python3
VENV   := venv
PY     := $(VENV)/bin/python
STACK  ?= dev

.PHONY: plan test lint typecheck unit bench bench-edge clean

# The virtualenv is rebuilt whenever a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

plan: $(VENV)/.installed
	$(PY) -m preflight check --stack $(STACK)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.installed
	$(PY) -m mypy .
	$(PY) -m mypy policies/__main__.py

unit: $(VENV)/.installed
	$(PY) -m pytest

test: lint typecheck unit

bench: $(VENV)/.installed
	$(PY) -m benchmarks.bench

bench-edge: $(VENV)/.installed
	$(PY) -m benchmarks.bench_edge

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache out
