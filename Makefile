# The doors in: `make run` starts the app for this computer (`make run-class` serves it to a
# class on the local network), `make test` runs everything CI runs (`make test-fast` all but
# the browser tests). Each sets up .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

# Streamlit's own port; `make run-class PORT=8502` for a second server beside the first.
PORT ?= 8501
# Debian's packages some targets need, installed when missing (as root, with apt).
ENSURE_CHROMIUM := scripts/ensure_package.sh chromium chromium "the browser tests"
ENSURE_POSTGRESQL := scripts/ensure_package.sh postgresql '/usr/lib/postgresql/*/bin/pg_ctl' \
	"PostgreSQL's tests and make cluster"
ENSURE_HAPROXY := scripts/ensure_package.sh haproxy haproxy "the cluster's tests and make cluster"

# How many Streamlit servers `make cluster` puts behind HAProxy: `make cluster SERVERS=4`.
SERVERS ?= 3

.PHONY: run run-class cluster test test-fast lint format benchmark classroom load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/python -m digit_studio.join --bind 127.0.0.1 --port $(PORT)
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

# The app served to the class on the local network: prints the address and QR code to join by.
run-class: $(VENV)/.installed
	$(BIN)/python -m digit_studio.join --bind 0.0.0.0 --port $(PORT)
	$(BIN)/streamlit run app.py --server.address 0.0.0.0 --server.port $(PORT)

# SERVERS Streamlit servers behind HAProxy on PORT, sharing models/ and one samples database:
# $DIGIT_STUDIO_DATABASE_URL, else a throwaway PostgreSQL started with them. Ctrl-C stops all.
cluster: $(VENV)/.installed
	$(ENSURE_HAPROXY)
	$(ENSURE_POSTGRESQL)
	$(BIN)/python -m digit_studio.cluster --servers $(SERVERS) --port $(PORT)

test: lint
	$(ENSURE_CHROMIUM)
	$(ENSURE_POSTGRESQL)
	$(ENSURE_HAPROXY)
	$(BIN)/pytest

# All but the browser tests (tests/e2e): no Chromium needed, minutes sooner.
test-fast: lint
	$(ENSURE_POSTGRESQL)
	$(ENSURE_HAPROXY)
	$(BIN)/pytest -m "not e2e"

# Style and types: ruff, then mypy over the files [tool.mypy] names.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# time_to_accuracy saves its figure as a PNG through Playwright and chromium.
benchmark: $(VENV)/.installed-test
	$(ENSURE_CHROMIUM)
	for module in import_time train_speed predict_latency drawn_digits numbers finetune \
		default_choice trainer_latency time_to_accuracy class_board; do \
		$(BIN)/python -m benchmarks.$$module || exit 1; done

# 30 browser sessions against one server: needs the test tools (Playwright) and chromium.
classroom: $(VENV)/.installed-test
	$(ENSURE_CHROMIUM)
	$(BIN)/python -m benchmarks.classroom --server-core

# Simulated students on the Draw page, no browsers: server CPU per answer, answers/s on one
# core, latency at 30, 100 and 300 students; then 3 servers behind HAProxy, one killed mid-class.
load: $(VENV)/.installed-test
	$(ENSURE_POSTGRESQL)
	$(ENSURE_HAPROXY)
	$(BIN)/python -m benchmarks.load --flame test-artifacts/load-flame.svg
	$(BIN)/python -m benchmarks.load --cluster 3

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache test-artifacts
