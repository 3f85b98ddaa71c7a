# The two commands: `make run` (whole system locally) and `make test` (the whole suite).
# Both install what is missing first: a Python 3.12 virtualenv and Azurite from npm.
# Python 3.12 is Azure's runtime for the app (infra/modules/functionapp.bicep): the venv and CI
# run the same version. A plain `python3.12`, else pyenv's 3.12.x (pyenv shims hide it).
comma := ,
PYTHON_VERSION := 3.12
IS_PY := -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(PYTHON_VERSION))))'
PYTHON ?= $(shell for p in python$(PYTHON_VERSION) $$(pyenv root 2>/dev/null)/versions/$(PYTHON_VERSION).*/bin/python3; do \
            "$$p" $(IS_PY) 2>/dev/null && { command -v "$$p"; break; }; done)
VENV   := .venv
PY     := $(VENV)/bin/python
PY_STAMP   := $(VENV)/.installed-$(PYTHON_VERSION)
NODE_STAMP := node_modules/.installed
INFRA_VENV  := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed-$(PYTHON_VERSION)
PYTEST_ARGS ?=

.PHONY: run test deps bench clean browser screenshots

deps: $(PY_STAMP) $(NODE_STAMP)

# Refuse clearly, before anything is built, on a machine without Python 3.12. The stamps name
# the version, so a venv made with another Python is made again.
.PHONY: check-python
check-python:
	@test -n "$(PYTHON)" || { echo "make: Python $(PYTHON_VERSION) is needed (Azure runs the app on" \
	  "$(PYTHON_VERSION)) and none was found: install python$(PYTHON_VERSION) or pass PYTHON=/path/to/it." >&2; exit 1; }

$(PY_STAMP): requirements.txt requirements-dev.txt | check-python
	$(PY) $(IS_PY) 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# Infra checks (checkov, tree-sitter) live in their own venv: their dependencies must not
# clash with the app's pins.
$(INFRA_STAMP): requirements-infra.txt | check-python
	$(INFRA_VENV)/bin/python $(IS_PY) 2>/dev/null || { rm -rf $(INFRA_VENV) && $(PYTHON) -m venv $(INFRA_VENV); }
	$(INFRA_VENV)/bin/python -m pip install --disable-pip-version-check -q -r requirements-infra.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The portal's browser tests drive Debian's Chromium through Playwright (pinned in
# requirements-dev.txt). Never `playwright install`: it downloads a browser build from a host
# this project can't reach. As root (CI's fresh machine) apt installs the package; otherwise
# say how, and the browser tests skip (under CI=true they fail instead).
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; \
	  else echo "make: $(CHROMIUM) is missing; the browser tests need it: sudo apt-get install chromium" >&2; fi; }

run: deps
	$(PY) -m devhost --azurite auto

test: deps $(INFRA_STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

# Re-take the README's key screenshots (docs/screenshots/*.png) from the browser tests.
screenshots: deps browser
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/portal -q

bench: deps
	$(PY) bench/cold_start.py

clean:
	rm -rf $(VENV) $(INFRA_VENV) node_modules .azurite .pytest_cache
