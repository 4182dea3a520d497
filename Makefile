# Two commands do all the set-up on a fresh machine:
#   make demo   installs what is missing, then runs the main job
#   make test   installs what is missing, then runs ruff and the tests
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# torch's spin-waiting threads collapse throughput on a shared 2-core machine.
export OMP_WAIT_POLICY = PASSIVE

.PHONY: install demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/drummernet selfcheck

lint: install
	$(BIN)/ruff check drummernet tests bench
	$(BIN)/ruff format --check drummernet tests bench

test: install lint
	$(BIN)/pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
