# The two commands of the README: `make run` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The links in e-mails, PDFs and QR codes are made outside a request, from SITE_URL: it follows the port served.
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test install install-node migrate lint worker bench clean

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm absent : les tests FranceConnect contre un vrai fournisseur OpenID Connect seront ignorés."; fi

install-node: node_modules/.installed

migrate: install
	$(PY) manage.py migrate --noinput

run: install migrate
	SITE_URL=$(SITE_URL) $(PY) manage.py demo_data
	SITE_URL=$(SITE_URL) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install install-node
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

worker: install
	$(VENV)/bin/celery -A portal worker -l info -Q default,pdf,email

# Benchmark (issue 6): needs PostgreSQL and Redis on loopback, as .ci/run starts them; see bench/README.md.
bench: install
	PYTHON=$(PY) bench/run.sh $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var
