# Two commands: `make run` runs the companion, `make test` runs every test.
# Both create .venv with a Python >= 3.12 and install what they need; the second time they
# only check that nothing changed.

VENV      := .venv
PY        := $(VENV)/bin/python
CHROMIUM  ?= /usr/bin/chromium
FIREFOX   ?= /usr/bin/firefox-esr
ARGS      ?=

.PHONY: run command test test-fast lint chromium firefox screenshots bench clean

run: $(VENV)/.installed
	$(VENV)/bin/companion run $(ARGS)

# `companion` on PATH the way pipx puts commands there: a link in ~/.local/bin to this checkout's.
command: $(VENV)/.installed
	@mkdir -p $(HOME)/.local/bin && ln -sf "$(CURDIR)/$(VENV)/bin/companion" $(HOME)/.local/bin/companion
	@echo "Linked $(HOME)/.local/bin/companion -> $(CURDIR)/$(VENV)/bin/companion"
	@case ":$$PATH:" in *":$(HOME)/.local/bin:"*) echo "It is on your PATH: type companion.";; \
	*) echo "Add $(HOME)/.local/bin to your PATH (e.g. in ~/.profile: export PATH=\"\$$HOME/.local/bin:\$$PATH\")";; esac

test: lint chromium firefox
	$(PY) -m pytest $(ARGS)

# Everything but the real-browser tests.
test-fast: lint
	$(PY) -m pytest -m "not browser" $(ARGS)

# Static checks and the extension's unit tests: ruff and mypy for Python, ESLint and node's
# test runner for the extension's JavaScript.
lint: $(VENV)/.installed-test node_modules/.installed
	$(VENV)/bin/ruff check companion tests bench scripts/build-extension
	$(VENV)/bin/mypy
	@if [ -x node_modules/.bin/eslint ]; then \
		node_modules/.bin/eslint extension tests/extension companion/service/static tests/service/static tests/e2e/firefox tests/support eslint.config.mjs && node --test tests/extension/ tests/service/static/; \
	elif [ -n "$$CI" ]; then echo "node_modules missing in CI: install Node.js and npm" >&2; exit 1; \
	else echo "npm not found: ESLint and the extension's unit tests were skipped (install Node.js)"; fi

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

# web-ext (Mozilla's linter for the Firefox build) and ESLint, pinned by package-lock.json.
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

# Debian's firefox-esr for the Firefox tests (puppeteer-core drives it over WebDriver BiDi; it
# never downloads one), and certutil (libnss3-tools) to trust the CA in the test profile only.
firefox:
	@if [ ! -x "$(FIREFOX)" ] || ! command -v certutil >/dev/null 2>&1; then \
		echo "Installing Debian's firefox-esr and libnss3-tools for the Firefox tests…"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq firefox-esr libnss3-tools >/dev/null; \
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
