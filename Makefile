# `make run` opens the dashboard on seeds/; `make test` runs every test.
# Both create .venv on first use, so a fresh machine needs only python3 and make.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
DOCS ?= seeds
PORT ?= 8501

.PHONY: setup run test quick lint docs bench bench-s3 bench-browser bench-million clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e ".[test]"
	touch $@

run: setup
	CURATION_DOCS="$(DOCS)" $(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: setup  ## every test, on both cores (pytest-xdist)
	$(PYTHON) -m pytest -n $(or $(WORKERS),2)

quick: setup  ## the fast tests only: no browser, no kill or concurrency runs, a small Hypothesis budget
	HYPOTHESIS_PROFILE=quick $(PYTHON) -m pytest -n $(or $(WORKERS),2) -m "not browser and not slow"

lint: setup  ## ruff, and the import-linter contracts in pyproject.toml (layers, no cycles)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/lint-imports

docs: setup  ## docs/cli.md from the command's --help (tests/test_docs.py checks it is current)
	$(PYTHON) docs/generate_cli.py

bench: setup  ## N=100000 RUNS=3 to change the size
	$(PYTHON) -m pip install --quiet -e ".[bench]"
	$(VENV)/bin/curation bench --n $(or $(N),10000) --runs $(or $(RUNS),3)

bench-browser: setup  ## the dashboard in Chromium: first opens, ticks, filters, pages, Charts, Gallery, sort, undo, 5 sessions, memory (N=10000 RUNS=21)
	$(VENV)/bin/curation bench --browser --n $(or $(N),10000) --runs $(or $(RUNS),21)

bench-million: setup  ## the issue's table at a million documents: validate cold and warm, the dashboard, memory, export (N=1000000 RUNS=5 CORPUS=DIR; the corpus is generated once and kept)
	$(VENV)/bin/curation bench --million --n $(or $(N),1000000) --runs $(or $(RUNS),5) $(if $(CORPUS),--corpus "$(CORPUS)")

bench-s3: setup  ## the S3 benchmark against a moto server it starts, served by gunicorn (N=10000 RUNS=3)
	$(PYTHON) -m pip install --quiet -e ".[bench]"
	$(PYTHON) -m curation.bench.s3 --moto --n $(or $(N),10000) --runs $(or $(RUNS),3)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis test-artifacts
