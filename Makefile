# The doors in: `make run` starts the app, `make test` runs everything CI runs. Both set up .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format benchmark classroom clean

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
	$(BIN)/streamlit run app.py

test: $(VENV)/.installed-test
	scripts/ensure_chromium.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: $(VENV)/.installed
	for module in train_speed predict_latency drawn_digits numbers finetune default_choice; do \
		$(BIN)/python -m benchmarks.$$module || exit 1; done

# 30 browser sessions against one server: needs the test tools (Playwright) and chromium.
classroom: $(VENV)/.installed-test
	scripts/ensure_chromium.sh
	$(BIN)/python -m benchmarks.classroom --server-core

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
