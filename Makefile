# OneKYC sandbox simulator. `make run` and `make test` bootstrap .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATABASE ?= onekyc-sim.db
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck clean venv screenshots bench bench-compare fuzz replay schema image image-check

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "make: creating $(VENV) (a virtual environment for this checkout)"; $(PYTHON) -m venv $(VENV); }
	@echo "make: upgrading pip in $(VENV)"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "make: installing onekyc-sim[dev] into $(VENV), editable (about 30 s the first time)"
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "make: $(VENV) is ready ($(BIN)/onekyc-sim)"

run: $(STAMP)
	$(BIN)/onekyc-sim serve --host $(HOST) --port $(PORT) --database $(DATABASE)

# The vendor endpoints and the services of the vendor flow: `make test` lists their uncovered lines.
VENDOR_CODE := simulator/gateway/*,simulator/services/vendor_flow/authentication.py,simulator/services/vendor_flow/partner_sessions.py,simulator/services/vendor_flow/submissions.py,simulator/services/vendor_flow/documents.py,simulator/services/vendor_flow/presigned_urls.py,simulator/services/vendor_flow/web_sdk.py,simulator/services/vendor_flow/payloads.py,simulator/services/vendor_flow/images.py

test: $(STAMP)  # the suite with branch coverage (fails under [tool.coverage.report] fail_under), then the vendor code's uncovered lines
	$(BIN)/python -m pytest --cov --cov-report=
	@echo "make: uncovered lines of the vendor endpoints and the vendor-flow services (branches as from->to):"
	@$(BIN)/coverage report --show-missing --skip-covered --fail-under=0 --include='$(VENDOR_CODE)'

replay: $(STAMP)  # replay scenario files (SCENARIOS=dir-or-files, default: the shipped ones); JUnit in reports/
	$(BIN)/onekyc-sim replay $(SCENARIOS) --junit reports/replay.xml

fuzz: $(STAMP)  # schemathesis fuzz of the vendor endpoints, hypothesis fuzz of /_sim, uploads and reference images
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-400} $(BIN)/python -m pytest -p no:cacheprovider tests/test_fuzz.py tests/test_sim_fuzz.py

bench: $(STAMP)  # load on 127.0.0.1 only; BENCH_QUICK=1 for a run of about 4-7 min (see README "Benchmark")
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m bench.run

bench-compare: $(STAMP)  # status polls of this tree against REF (a git ref, default HEAD~1), side by side in one run
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m bench.compare $(or $(REF),HEAD~1)

screenshots: $(STAMP)  # the README's dashboard and Web SDK screenshots (needs /usr/bin/chromium)
	$(BIN)/python docs/screenshots/capture.py

IMAGE ?= localhost/onekyc-sim:latest
PIP_CA ?= /etc/ssl/certs/ca-certificates.crt
BASE_IMAGE ?= localhost/onekyc-sim-base:bookworm
BUILDAH ?= buildah --storage-driver vfs

image:  # the container image, built offline from registries: debootstrapped Debian base, then the Containerfile
	@$(BUILDAH) inspect --type image $(BASE_IMAGE) >/dev/null 2>&1 || BUILDAH="$(BUILDAH)" container/base.sh $(BASE_IMAGE)
	$(BUILDAH) build --isolation chroot --format docker --layers=false --secret id=pip-ca,src=$(PIP_CA) --build-arg BASE_IMAGE=$(BASE_IMAGE) -f Containerfile -t $(IMAGE) .

image-check: $(STAMP)  # start the image's entrypoint on 127.0.0.1 and play one whole flow against it (not in `make test`)
	BUILDAH="$(BUILDAH)" $(BIN)/python container/check.py $(IMAGE)

schema: $(STAMP)  # regenerate the scenario JSON Schema editors use, and its test snapshot, from the models
	$(BIN)/onekyc-sim scenarios schema > simulator/scenarios/builtin/scenario.schema.json
	cp simulator/scenarios/builtin/scenario.schema.json tests/snapshots/scenario.schema.json

typecheck: $(STAMP)  # mypy --strict on the package, the tests and the benchmark (the files listed in pyproject.toml)
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check simulator tests bench docs/examples
	$(BIN)/ruff format --check simulator tests bench docs/examples
	$(MAKE) --no-print-directory typecheck

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* *.db *.db-wal *.db-shm
