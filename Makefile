# Two commands: `make run` (serve the app with demo data) and `make test` (the whole suite).
# Everything they need is installed here: a fresh clone needs only python3, npm and make.

# Python 3.12 or newer when the machine has one: served by gunicorn, the app crashed the 3.11.7 interpreter
# (segmentation fault, docs/performance.md). Otherwise python3.
PYTHON ?= $(or $(shell for p in python3.13 python3.12 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[23]*/bin/python3; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { command -v $$p; break; }; done),python3)
VENV := .venv
BIN := $(VENV)/bin
ACTIFS := build/actifs/manifeste.json
HOST ?= 127.0.0.1
PORT ?= 5000
URL_PUBLIQUE ?= http://$(HOST):$(PORT)
export FLASK_APP := aap
export URL_PUBLIQUE

.PHONY: run test fuzz bench install install-dev assets db demo system-deps lint clean

# Le serveur web et, à côté, le travailleur qui envoie les courriels de la file (aucune requête n'attend le serveur
# SMTP) ; Ctrl+C arrête les deux.
run: install assets system-deps-run db
	@$(BIN)/flask demo
	@echo "Application : $(URL_PUBLIQUE)  (Ctrl+C pour arrêter)"
	@$(BIN)/flask courriels travailler & travailleur=$$!; \
	trap 'kill $$travailleur 2>/dev/null; wait $$travailleur' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install-dev assets system-deps
	@scripts/tests.sh

# Fuzzing profond de l'API et des formulaires, sur SQLite (la suite, elle, tire peu d'exemples et une graine fixe) :
# graine au hasard (FUZZ_GRAINE pour en rejouer une), couverture pour chaque rôle, plus d'exemples par opération.
FUZZ_EXEMPLES ?= 25
FUZZ_PAS ?= 20
FUZZ_EXEMPLES_FORMULAIRE ?= 50

fuzz: install-dev assets
	AAP_ENV=test FUZZ_EXEMPLES=$(FUZZ_EXEMPLES) FUZZ_PAS=$(FUZZ_PAS) FUZZ_EXEMPLES_FORMULAIRE=$(FUZZ_EXEMPLES_FORMULAIRE) \
	FUZZ_COUVERTURE=tous FUZZ_GRAINE=$${FUZZ_GRAINE:-$$(od -An -N2 -tu2 /dev/urandom | tr -d " ")} \
	$(BIN)/pytest -n 2 -q -s tests/test_fuzz_api.py tests/test_fuzz_formulaires.py

# Banc d'essai national (docs/performance.md) : jeux de données, charge sous gunicorn sur SQLite et PostgreSQL
# (BENCH_PG_URL), export Excel ; écrit bench/results.json. Essai rapide : make bench ECHELLES=mini DUREE=3
ECHELLES ?= dixieme,national
DUREE ?= 10

bench: install assets
	@scripts/dependances-systeme.sh wrk
	$(BIN)/python -m bench.banc --echelles $(ECHELLES) --duree $(DUREE)

$(VENV)/.installe: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installe-dev: $(VENV)/.installe requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installe
install-dev: $(VENV)/.installe-dev

# The DSFR's terms are accepted in .dsfr.yml (see README); npm ci installs exactly package-lock.json.
node_modules/.installe: package.json package-lock.json .dsfr.yml
	npm ci --no-audit --no-fund
	touch $@

# Fichiers statiques tels qu'ils voyagent (aap/actifs.py) : noms à empreinte, gzip et brotli, icônes du DSFR réduites
# à celles des gabarits, polices au latin du français.
$(ACTIFS): $(VENV)/.installe node_modules/.installe aap/actifs.py $(shell find templates aap/static -type f)
	$(BIN)/python -m aap.actifs

assets: node_modules/.installe $(ACTIFS)

db: install
	$(BIN)/flask db upgrade

system-deps:
	@scripts/dependances-systeme.sh chromium libharfbuzz-subset0

system-deps-run:
	@scripts/dependances-systeme.sh libharfbuzz-subset0

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) node_modules build .pytest_cache
