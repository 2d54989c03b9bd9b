# One command to try it (make dev), one to test it (make test). Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8288
EXAMPLE_PORT ?= 8000

STAGING_ENV := DEVSERVER_TEST_STAGING=1 \
	DATABASE_URL=postgres://devserver:devserver@127.0.0.1:5432/devserver \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	SECRET_KEY=test-only-secret-key-of-the-secured-suite \
	INNGEST_SIGNING_KEY=signkey-test-5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e \
	INNGEST_EVENT_KEY=test-key

.PHONY: dev staging test test-fast test-embedded test-staging run-embedded run-staging services lint bench clean-data node chromium
# `make staging`: Celery worker processes (one GIL each: about one per core) and threads in
# each (steps waiting on the app's I/O; see the README's Staging console on sizing).
WORKERS ?= 2
WORKER_THREADS ?= 8
HOST ?= 127.0.0.1

# The first install takes about a minute: `make dev` shows pip's progress (PIP_OUTPUT empty),
# the test targets keep their output to one line per step.
PIP_OUTPUT ?= --quiet

$(BIN)/python:
	@echo "==> creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install $(PIP_OUTPUT) --disable-pip-version-check --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@echo "==> installing the pinned dependencies into $(VENV) (about a minute the first time)"
	@$(BIN)/pip install $(PIP_OUTPUT) --disable-pip-version-check -e '.[test]'
	@touch $@
	@echo "==> $(VENV) is ready"

# The dev server with the bundled example app, registered automatically.
dev: PIP_OUTPUT = --progress-bar on
dev: $(VENV)/.installed
	@echo "==> starting the example app on :$(EXAMPLE_PORT) and the dev server on :$(PORT)"
	@INNGEST_DEV=1 INNGEST_BASE_URL=http://127.0.0.1:$(PORT) PORT=$(EXAMPLE_PORT) \
		$(BIN)/python examples/shop_app.py & app=$$!; \
	trap "kill $$app 2>/dev/null" EXIT INT TERM; \
	$(BIN)/python manage.py devserver --port $(PORT) -u http://127.0.0.1:$(EXAMPLE_PORT)/api/inngest

# The staging console on one machine: Postgres and Redis (Debian packages), the web process,
# $(WORKERS) Celery workers and one beat, with keys generated once into .staging.env.
staging: $(VENV)/.installed services .staging.env
	@set -a; . ./.staging.env; set +a; \
	$(BIN)/python manage.py migrate --noinput >/dev/null; \
	pids=""; \
	for i in $$(seq $(WORKERS)); do \
		$(BIN)/python -m celery -A devserver worker --pool threads -c $(WORKER_THREADS) \
			-n worker$$i@%h --without-gossip --without-mingle --loglevel WARNING & \
		pids="$$pids $$!"; \
	done; \
	$(BIN)/python -m celery -A devserver beat -s .staging-beat-schedule --loglevel WARNING & \
	pids="$$pids $$!"; \
	trap "kill $$pids 2>/dev/null" EXIT INT TERM; \
	echo "Staging console on http://$(HOST):$(PORT) with $(WORKERS) workers" \
		"of $(WORKER_THREADS) threads and beat."; \
	echo "Keys and settings: .staging.env. Add a login: make staging-user NAME=you"; \
	$(BIN)/python manage.py devserver --host $(HOST) --port $(PORT) --no-discovery

staging-user: $(VENV)/.installed .staging.env
	@set -a; . ./.staging.env; set +a; \
	$(BIN)/python manage.py createsuperuser --username $(NAME) --email ""

.staging.env:
	@$(PYTHON) -c "import secrets, socket; print('\n'.join([ \
		'DATABASE_URL=postgres://devserver:devserver@127.0.0.1:5432/devserver', \
		'REDIS_URL=redis://127.0.0.1:6379/0', \
		'SECRET_KEY=' + secrets.token_urlsafe(48), \
		'INNGEST_SIGNING_KEY=signkey-staging-' + secrets.token_hex(32), \
		'INNGEST_EVENT_KEY=' + secrets.token_hex(16), \
		'ALLOWED_HOSTS=' + ','.join(sorted({'$(HOST)', 'localhost', '127.0.0.1', \
			socket.gethostname()}))]))" > $@
	@chmod 600 $@
	@echo "wrote $@ (keep it secret; give your apps INNGEST_SIGNING_KEY and INNGEST_EVENT_KEY)"

node:
	@command -v node >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	cd tests/apps/js && npm ci --silent --no-audit --no-fund

# The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The layering drawn in the README is held by .importlinter (--no-cache: nothing written to the
# tree); a model change without its migration fails too (models and migrations are compared
# without a database: its warning that none is open is silenced). mypy (its settings in
# pyproject.toml) checks the production packages; tests and bench are not annotated yet and are
# left out. --cache-dir=/dev/null: nothing written to the tree.
MYPY_PACKAGES := foundation events flowcontrol runs console devserver
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy --cache-dir=/dev/null $(MYPY_PACKAGES)
	$(BIN)/python -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run

# The inner loop (under a minute): tests/unit and tests/integration, in process on SQLite; no
# node, browser, Postgres or Redis. The layers and their markers: tests/conftest.py.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit tests/integration tests/security

# The whole suite twice: embedded (SQLite, in-process Celery) and staging (Postgres, Redis,
# separate worker and beat processes), the two at once once everything is installed (one
# apt-get at a time): most of a suite's time is spent waiting on subprocesses, so together
# they take little longer than the staging suite alone. Each suite's output is printed whole
# when it ends.
test: lint node chromium services
	@$(MAKE) --no-print-directory -j2 --output-sync=target run-embedded run-staging

test-embedded: $(VENV)/.installed node chromium
	@$(MAKE) --no-print-directory run-embedded

test-staging: $(VENV)/.installed node chromium services
	@$(MAKE) --no-print-directory run-staging

run-embedded:
	$(BIN)/python -m pytest -q -p no:cacheprovider

run-staging:
	$(STAGING_ENV) $(BIN)/python -m pytest -q -p no:cacheprovider

services:
	bash .ci/services.sh

bench: $(VENV)/.installed
	$(BIN)/python -m bench.ten_steps

# The same 10-step workflow on DBOS, as a Celery chain and on our server, alternating in
# rounds, on the same Postgres and Redis. ARGS="--quick" for a smoke check; --help lists the rest.
.PHONY: bench-peers
bench-peers: $(VENV)/.installed services
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.peers $(ARGS)

# Ten minutes of steady events on the staging stack with faults injected; exits 1 unless every
# count matches. MINUTES=2 for a short one.
MINUTES ?= 10
.PHONY: soak
soak: $(VENV)/.installed services
	$(BIN)/python -m bench.soak --minutes $(MINUTES) --rate 4

clean-data:
	rm -rf .devserver-data
