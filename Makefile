# Two commands: `make run` runs the companion, `make test` runs every test.
# Both create .venv with a Python >= 3.12 and install what they need; the second time they
# only check that nothing changed.

VENV      := .venv
PY        := $(VENV)/bin/python
CHROMIUM  ?= /usr/bin/chromium
ARGS      ?=

.PHONY: run test test-fast chromium screenshots bench clean

run: $(VENV)/.installed
	$(VENV)/bin/companion run $(ARGS)

test: $(VENV)/.installed-test chromium node_modules/.installed
	$(PY) -m pytest $(ARGS)

# Everything but the real-browser tests.
test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -m "not browser" $(ARGS)

$(VENV)/.python:
	@python=$$(scripts/find-python) && echo "Using $$python" && "$$python" -m venv $(VENV)
	@touch $@

$(VENV)/.installed: $(VENV)/.python pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# web-ext (Mozilla's linter for the Firefox build), pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the Firefox lint test will say so (install Node.js)"; fi

# Debian's chromium for the browser tests (Playwright drives it; it never downloads one).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Debian's chromium for the browser tests…"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# Retake the popup screenshots that docs/ and the README show.
screenshots: $(VENV)/.installed-test chromium
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest -m browser -q

bench: $(VENV)/.installed-test
	$(PY) bench/proxy_overhead.py

clean:
	rm -rf $(VENV) dist build *.egg-info

# The browser extension as two installable zips: dist/401-companion-{chromium,firefox}-<version>.zip
# (unpacked builds in build/extension/). `npm install` once, then
# `npx web-ext lint --source-dir build/extension/firefox` checks the Firefox one.
.PHONY: extension
extension:
	python3 scripts/build-extension
