# The README's two commands, `make run` and `make test`. Each one installs what it needs
# into .venv on first use (and again whenever pyproject.toml changes): `make run` the app
# alone, `make test` and `make lint` the development tools too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(BIN)/.installed-runtime
DEV := $(BIN)/.installed-dev

.PHONY: run test lint migrate bench bench-ladder bench-login update-scalar

$(BIN)/pip:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "blog needs Python 3.11 or newer: make PYTHON=python3.12 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/pip
	$(BIN)/pip install --editable .
	@touch $@

# The development extras include the runtime: both marks are set.
$(DEV): pyproject.toml | $(BIN)/pip
	$(BIN)/pip install --editable '.[dev]'
	@touch $@ $(RUNTIME)

## Serve the API on http://127.0.0.1:8000 (docs at /docs), after migrating the database.
run: $(RUNTIME) migrate
	$(BIN)/litestar run $(ARGS)

## Bring the database (litestar.toml, or DATABASE_URL) to the latest migration.
migrate: $(RUNTIME)
	$(BIN)/litestar database upgrade --no-prompt

## Run the tests (PostgreSQL and SQLite). ARGS="-k authors" passes arguments to pytest.
test: $(DEV)
	$(BIN)/pytest $(ARGS)

## Lint, format check and strict type check.
lint: $(DEV)
	$(BIN)/ruff check blog tests migrations bench
	$(BIN)/ruff format --check blog tests migrations bench
	$(BIN)/mypy

## The throughput benchmark against the bare-driver floor (docs/performance.md); needs PostgreSQL and wrk.
bench: $(DEV)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk || { echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.throughput --servers uvicorn,granian $(ARGS)

## The same read served by each layer of the stack in turn, to show what each costs (docs/performance.md).
bench-ladder: $(DEV)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk || { echo "bench-ladder needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.ladder $(ARGS)

## p99 of a read alone and while clients log in (Argon2 off the event loop; docs/performance.md).
bench-login: $(DEV)
	@command -v wrk >/dev/null || apt-get install -y -qq wrk || { echo "bench-login needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.login $(ARGS)

## Vendor another version of the API reference's script (docs/api-reference.md); needs npm.
update-scalar:
	@test -n "$(SCALAR_VERSION)" || { echo "usage: make update-scalar SCALAR_VERSION=1.76.0"; exit 1; }
	cd "$$(mktemp -d)" && npm pack @scalar/api-reference@$(SCALAR_VERSION) \
		&& tar -xzf scalar-api-reference-$(SCALAR_VERSION).tgz package/dist/browser/standalone.js \
		&& cp package/dist/browser/standalone.js $(CURDIR)/blog/static/scalar/standalone.js
	echo $(SCALAR_VERSION) > blog/static/scalar/VERSION
