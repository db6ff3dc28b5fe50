# Ekyam: `make run` starts the whole portal on embedded defaults; `make test` runs the quality gate.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

# Tests use PostgreSQL and Redis when they answer on this machine, else SQLite and inline tasks.
PG_URL ?= postgres://postgres@127.0.0.1:5432/ekyam
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PG_UP := $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo yes)
REDIS_UP := $(shell (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && echo yes)
TEST_ENV := EKYAM_TESTING=true \
	$(if $(DATABASE_URL),DATABASE_URL=$(DATABASE_URL),$(if $(PG_UP),DATABASE_URL=$(PG_URL))) \
	$(if $(REDIS_URL),REDIS_URL=$(REDIS_URL),$(if $(REDIS_UP),REDIS_URL=$(TEST_REDIS_URL)))

.PHONY: setup run test fuzz lint format browser bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py standalone

# Debian's Chromium for the Playwright browser tests (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup browser lint
	@$(if $(PG_UP),createdb -h 127.0.0.1 -U postgres ekyam 2>/dev/null || true)
	$(TEST_ENV) $(BIN)/python manage.py check
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

# The longer API fuzz run (README "API input limits and the fuzz run"): every phase, 30 examples per
# operation, fuzzing until FUZZ_SECONDS are spent; the report stays in var/fuzz/events.ndjson.
FUZZ_SECONDS ?= 900
fuzz: setup
	@$(if $(PG_UP),createdb -h 127.0.0.1 -U postgres ekyam 2>/dev/null || true)
	$(TEST_ENV) EKYAM_FUZZ_EXAMPLES=30 EKYAM_FUZZ_PHASES=examples,coverage,fuzzing EKYAM_FUZZ_MAX_TIME=$(FUZZ_SECONDS) \
		EKYAM_FUZZ_WORKERS=2 EKYAM_FUZZ_REPORT_DIR=var/fuzz $(BIN)/python -m pytest tests/api/test_fuzz.py -s -q

clean:
	rm -rf var
