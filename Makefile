# `make run` starts the service, `make test` runs every test, `make demo` shows it working.
# Each target creates .venv and installs what it needs when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test demo lint bench system-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian packages the tests talk to (a real Dovecot for IMAP); installed once when missing.
system-deps:
	@command -v dovecot >/dev/null 2>&1 || { \
		echo "installing dovecot-imapd (needed by the IMAP tests)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null) \
		|| echo "warning: could not install dovecot-imapd; IMAP tests will be skipped"; }

run: $(STAMP)
	$(BIN)/shagym run

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest -q -p no:cacheprovider

demo: $(STAMP) system-deps
	$(BIN)/shagym demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy shagym intake models

bench: $(STAMP) system-deps
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
