# OneKYC sandbox simulator. `make run` and `make test` bootstrap .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATABASE ?= onekyc-sim.db
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck clean venv screenshots bench fuzz replay

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

replay: $(STAMP)  # replay scenario files (SCENARIOS=dir-or-files, default: the shipped ones); JUnit in reports/
	$(BIN)/onekyc-sim replay $(SCENARIOS) --junit reports/replay.xml

fuzz: $(STAMP)  # schemathesis fuzz of the vendor endpoints, hypothesis fuzz of /_sim, uploads and reference images
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-400} $(BIN)/python -m pytest -p no:cacheprovider tests/test_fuzz.py tests/test_sim_fuzz.py

bench: $(STAMP)  # load on 127.0.0.1 only, ~10-20 min; BENCH_FLOWS, BENCH_SOAK_SECONDS, BENCH_SECONDS shorten it
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m bench.run

screenshots: $(STAMP)  # the README's dashboard and Web SDK screenshots (needs /usr/bin/chromium)
	$(BIN)/python docs/screenshots/capture.py

lint: $(STAMP)
	$(BIN)/ruff check simulator tests bench docs/examples
	$(BIN)/ruff format --check simulator tests bench docs/examples
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.db *.db-wal *.db-shm
