# One command to try it (make dev), one to test it (make test). Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8288
EXAMPLE_PORT ?= 8000

.PHONY: dev test lint bench clean-data node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The dev server with the bundled example app, registered automatically.
dev: $(VENV)/.installed
	@INNGEST_DEV=1 INNGEST_BASE_URL=http://127.0.0.1:$(PORT) PORT=$(EXAMPLE_PORT) \
		$(BIN)/python examples/shop_app.py & app=$$!; \
	trap "kill $$app 2>/dev/null" EXIT INT TERM; \
	$(BIN)/python manage.py devserver --port $(PORT) -u http://127.0.0.1:$(EXAMPLE_PORT)/api/inngest

node:
	@command -v node >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs npm)
	cd tests/apps/js && npm ci --silent --no-audit --no-fund

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.installed node lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: $(VENV)/.installed
	$(BIN)/python -m bench.ten_steps

clean-data:
	rm -rf .devserver-data
