# contextpack: `make demo` runs the whole job on a local warehouse, `make test` runs every test.
# Set WAREHOUSE=env to use the server named by your PG* variables instead of the local one.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
WAREHOUSE ?= local
SCALE ?= 0.001
SEED ?= 42

export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: help venv demo test lint pytest build bench docs warehouse-start warehouse-stop warehouse-destroy clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# The venv is rebuilt when requirements.txt changes (the stamp is older than it) or is missing.
$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP) ## Create or refresh .venv from requirements.txt.

demo: $(STAMP) ## Start a local warehouse, generate sample data, dbt build, show and export what was built.
	$(PY) scripts/demo.py --warehouse $(WAREHOUSE) --scale $(SCALE) --seed $(SEED)

test: $(STAMP) lint pytest ## Every test: ruff, sqlfluff, then pytest (starts the local warehouse itself).

lint: $(STAMP) ## ruff and sqlfluff.
	$(VENV)/bin/ruff check .
	$(VENV)/bin/sqlfluff lint models macros tests analyses --processes 2

pytest: $(STAMP) ## pytest only.
	$(VENV)/bin/pytest

build: $(STAMP) ## dbt build against the warehouse in your PG* / DBT_* variables (CONTEXTPACK_PSEUDONYM_KEY: the key).
	PGOPTIONS="$$PGOPTIONS$${CONTEXTPACK_PSEUDONYM_KEY:+ -c contextpack.pseudonym_key=$$CONTEXTPACK_PSEUDONYM_KEY}" $(VENV)/bin/dbt build

bench: $(STAMP) ## Benchmarks at scale 0.1 against same-run baselines; writes BENCHMARKS.md.
	$(PY) scripts/bench/run.py --write BENCHMARKS.md $(BENCH_ARGS)

# The local warehouse is started (it is where `make demo` builds) unless WAREHOUSE=env names your own server.
docs: $(STAMP) ## dbt docs generate (models, tests, exposures, the warehouse's catalog) into target/index.html.
	@if [ "$(WAREHOUSE)" = local ]; then $(PY) scripts/warehouse.py start >/dev/null; fi
	@if [ "$(WAREHOUSE)" = local ]; then eval "$$($(PY) scripts/warehouse.py env)"; fi; \
		$(VENV)/bin/dbt docs generate --quiet
	@echo "docs: open target/index.html, or serve them with: $(VENV)/bin/dbt docs serve --port 8080"

warehouse-start: $(STAMP) ## Start the local warehouse (prints how to point psql and dbt at it).
	$(PY) scripts/warehouse.py start

warehouse-stop: $(STAMP) ## Stop the local warehouse.
	$(PY) scripts/warehouse.py stop

warehouse-destroy: $(STAMP) ## Stop the local warehouse and delete its data.
	$(PY) scripts/warehouse.py destroy

clean: ## Remove dbt build output.
	rm -rf target logs dbt_packages
