# Jobsite: `make run` (admin + worker + scheduler on embedded defaults), `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-faults test-fast bench lint clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# make run is development: DEBUG on, a secret key generated once into var/secret_key.
run: export DJANGO_DEBUG ?= true
run: $(STAMP)
	$(PY) -c 'from jobsite.folders import main; main()'
	$(PY) manage.py migrate --no-input
	$(PY) manage.py jobsite_demo
	$(PY) manage.py seed_records
	$(PY) manage.py jobs apply
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile --port $${PORT:-8000}

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-faults: $(STAMP)
	$(PY) -m pytest -m faults $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) var
