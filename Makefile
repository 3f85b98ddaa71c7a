# The two commands: `make run` (whole system locally) and `make test` (the whole suite).
# Both install what is missing first: a Python 3.11 virtualenv and Azurite from npm.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
INFRA_VENV  := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test deps bench clean

deps: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# Infra checks (checkov, tree-sitter) live in their own venv: their dependencies must not
# clash with the app's pins.
$(INFRA_STAMP): requirements-infra.txt
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements-infra.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: deps
	$(PY) -m devhost --azurite auto

test: deps $(INFRA_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: deps
	$(PY) bench/cold_start.py

clean:
	rm -rf $(VENV) $(INFRA_VENV) node_modules .azurite .pytest_cache
