# Shahrvand — two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto

.PHONY: run test bootstrap messages lint typecheck check-deploy ci clean

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Shahrvand needs Python 3.11 or newer")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

bootstrap: $(VENV)/.installed messages
	@mkdir -p var

# Compiled translations are built, not committed.
messages: $(VENV)/.installed
	@cd shahrvand && ../$(PY) ../manage.py compilemessages --verbosity 0 --ignore '.venv'

# The address printed on documents and slips follows the address served (unless set already).
run: export SHAHRVAND_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: bootstrap
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_accounts
	$(PY) manage.py runserver $(HOST):$(PORT)

test: bootstrap
	@export DJANGO_ENV=test; \
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest ran no tests: failing" >&2; exit 1; fi; exit $$rc

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy shahrvand

check-deploy: $(VENV)/.installed
	DJANGO_ENV=production DEBUG=0 ALLOWED_HOSTS=shahrvand.example \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	$(PY) manage.py check --deploy --fail-level WARNING

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
