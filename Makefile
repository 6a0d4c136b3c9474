# OneKYC sandbox simulator. `make run` and `make test` bootstrap .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATABASE ?= onekyc-sim.db
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/onekyc-sim serve --host $(HOST) --port $(PORT) --database $(DATABASE)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check simulator tests
	$(BIN)/ruff format --check simulator tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.db *.db-wal *.db-shm
